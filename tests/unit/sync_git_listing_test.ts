/** What git tells the manifest (sync/git_listing.ts): parsers over exact git output, and when a size is trusted. */
import assert from "node:assert/strict";
import { CrabboxError } from "../../core/errors.ts";
import {
  type IndexEntry,
  parseBlobSizes,
  parseIndexListing,
  parseStatus,
  trustedSize,
} from "../../sync/git_listing.ts";

const stat = (mtime: string, size: number, flags = "0") =>
  `  ctime: 1796191789:962332247\n  mtime: ${mtime}:962332247\n  dev: 65024\tino: 2508243\n` +
  `  uid: 0\tgid: 0\n  size: ${size}\tflags: ${flags}\n`;
const id = (c: string) => c.repeat(40);

Deno.test("ls-files --debug: entries with their recorded stat size; odd names and shapes", () => {
  const text = [
    `H 100644 ${id("a")} 0\tsrc/a.ts\0${stat("1796191789", 12)}`,
    // A name with a newline and what looks like a stat line: the NUL ends it.
    `H 100755 ${id("b")} 0\tbin/x\n  size: 9\tflags: 0\0${stat("1796191789", 7)}`,
    // Zeroed stat data (read-tree): no size recorded.
    `H 100644 ${id("c")} 0\tzeroed.txt\0${stat("0", 0)}`,
    // assume-unchanged (CE_VALID) and skip-worktree entries.
    `H 100644 ${id("d")} 0\tassumed.txt\0${stat("1796191789", 3, "8000")}`,
    `S 100644 ${id("e")} 0\tsparse/x\0${stat("1796191789", 5, "40000000")}`,
    // Unmerged stages, a gitlink, an entry without a debug block, one with a block of another shape.
    `M 100644 ${id("f")} 1\tc.txt\0${stat("1796191789", 4)}`,
    `M 100644 ${id("1")} 3\tc.txt\0${stat("1796191789", 4)}`,
    `H 160000 ${id("2")} 0\tvendor/lib\0${stat("0", 0)}`,
    `H 120000 ${id("3")} 0\tlink\0`,
    `H 100644 ${id("4")} 0\tfuture.txt\0  stat: 17 99\n  more: x\n`,
  ].join("");
  const entries = parseIndexListing(text);
  const brief = entries.map((e) => [e.tag, e.mode, e.stage, e.path, e.statSize, e.assumeUnchanged]);
  assert.deepEqual(brief, [
    ["H", "100644", "0", "src/a.ts", 12, false],
    ["H", "100755", "0", "bin/x\n  size: 9\tflags: 0", 7, false],
    ["H", "100644", "0", "zeroed.txt", null, false],
    ["H", "100644", "0", "assumed.txt", 3, true],
    ["S", "100644", "0", "sparse/x", 5, false],
    ["M", "100644", "1", "c.txt", 4, false],
    ["M", "100644", "3", "c.txt", 4, false],
    ["H", "160000", "0", "vendor/lib", null, false],
    ["H", "120000", "0", "link", null, false],
    ["H", "100644", "0", "future.txt", null, false],
  ]);
  assert.equal(entries[0].object, id("a"));
  assert.deepEqual(parseIndexListing(""), []);
});

Deno.test("ls-files output read only in part is an error, never a shorter manifest", () => {
  const text = `H 100644 ${id("a")} 0\ta.txt\0${stat("1", 2)}garbage without a tab`;
  assert.throws(() => parseIndexListing(text), (e) => e instanceof CrabboxError && e.exitCode === 6);
});

Deno.test("status --porcelain=v2: work-tree changes and untracked files", () => {
  const head = `100644 100644 100644 ${id("a")} ${id("a")}`;
  const text = [
    `1 .M N... ${head} src/a.ts`,
    `1 M. N... ${head} staged only.txt`, // the work tree equals the index
    `1 .D N... 100644 100644 000000 ${id("a")} ${id("a")} gone file.txt`,
    `1 .T N... ${head} became-link`,
    `1 .A N... 000000 000000 100644 ${id("0")} ${id("0")} intent-to-add.txt`,
    `u UU N... 100644 100644 100644 100644 ${id("1")} ${id("2")} ${id("3")} conflict.txt`,
    "? new\nline.txt",
    "? nested-repo/",
    "? with space.txt",
    "",
  ].join("\0");
  const { changed, untracked } = parseStatus(text);
  assert.deepEqual(
    [...changed].sort(),
    ["became-link", "conflict.txt", "gone file.txt", "intent-to-add.txt", "src/a.ts"],
  );
  assert.deepEqual(untracked, ["new\nline.txt", "with space.txt"]);
  assert.deepEqual(parseStatus(""), { changed: new Set(), untracked: [] });
});

Deno.test("cat-file sizes line up with the objects asked; a missing object has none", () => {
  assert.deepEqual(parseBlobSizes(`12\n${id("f")} missing\n0\n`), [12, null, 0]);
  assert.deepEqual(parseBlobSizes(""), []);
});

Deno.test("an index stat size stands in for lstat only when it equals the blob's size", () => {
  const entry = (over: Partial<IndexEntry>): IndexEntry => ({
    tag: "H",
    mode: "100644",
    object: id("a"),
    stage: "0",
    path: "a",
    statSize: 10,
    assumeUnchanged: false,
    blobSize: 10,
    ...over,
  });
  const rows: [string, Partial<IndexEntry>, number | null][] = [
    ["plain file", {}, 10],
    ["empty file", { statSize: 0, blobSize: 0 }, 0],
    ["clean filter (git-lfs pointer)", { statSize: 5_000_000, blobSize: 131 }, null],
    ["over 4 GiB: git keeps the low 32 bits", { statSize: 705_032_704, blobSize: 5_000_000_000 }, null],
    ["no stat data", { statSize: null }, null],
    ["blob not found", { blobSize: null }, null],
    ["assume-unchanged", { assumeUnchanged: true }, null],
    ["unmerged stage", { stage: "2" }, null],
  ];
  for (const [name, over, expected] of rows) assert.equal(trustedSize(entry(over)), expected, name);
});
