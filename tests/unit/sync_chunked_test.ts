/** sync/chunked.ts: pieces hashed or encoded a chunk at a time equal the joined text, at any size. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { byIndex, encodePieces, nulTerminated, sha256OfPieces } from "../../sync/chunked.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const cases: { name: string; pieces: string[] }[] = [
  { name: "nothing", pieces: [] },
  { name: "one empty piece", pieces: [""] },
  { name: "a few", pieces: ["a.txt\0", "src/b.ts\0"] },
  { name: "non-ASCII paths", pieces: ["café/ünï.txt\0", "日本語.md\0", "emoji-🦀.rs\0"] },
  // Past several 64 KiB chunks, with pieces straddling each boundary.
  { name: "20k paths", pieces: Array.from({ length: 20_000 }, (_, i) => `d${i % 97}/file-${i}-é.txt\0`) },
  { name: "one piece bigger than a chunk", pieces: ["x".repeat(200_000), "tail"] },
];

for (const { name, pieces } of cases) {
  Deno.test(`chunked: ${name} hashes and encodes as the joined text`, () => {
    const joined = pieces.join("");
    assert.equal(sha256OfPieces(pieces), sha256(joined));
    assert.deepEqual(encodePieces(pieces), new TextEncoder().encode(joined));
  });
}

Deno.test("nulTerminated: each path then NUL, lazily", () => {
  assert.deepEqual([...nulTerminated(["a", "b c"])], ["a\0", "b c\0"]);
  assert.deepEqual([...nulTerminated([])], []);
});

Deno.test("byIndex: one item per index, every index or those given, in their order", () => {
  const files = ["a", "b", "c"];
  const ids = ["1", "2", "3"];
  const table: { indices: number | number[]; want: string[] }[] = [
    { indices: 3, want: ["1 a", "2 b", "3 c"] },
    { indices: 0, want: [] },
    { indices: [2, 0], want: ["3 c", "1 a"] },
    { indices: [], want: [] },
  ];
  for (const { indices, want } of table) {
    assert.deepEqual([...byIndex(indices, (i) => `${ids[i]} ${files[i]}`)], want, JSON.stringify(indices));
  }
});
