/**
 * The manifest memo (sync/manifest_memo.ts, sync/sync_tree.ts): an unchanged tree is answered from it,
 * every change that could alter what is synced misses it, and either way the fingerprint is the one a
 * full build gives. Real git repositories in temp dirs; the clock is set ahead so files look settled.
 */
import assert from "node:assert/strict";
import type { FileInfo } from "../../core/deps.ts";
import { realFs, realProcess } from "../../core/runtime.ts";
import { buildManifest } from "../../sync/manifest.ts";
import { localFingerprint } from "../../sync/fingerprint.ts";
import { fileSignature, MAX_LOOKED, memoable, parseMemo, RACY_MS } from "../../sync/manifest_memo.ts";
import { openSyncTree, type SyncTreeRequest } from "../../sync/sync_tree.ts";
import { builtinRules, parseRuleLines } from "../../sync/rules.ts";

const OPTIONS = { delete: true, checksum: false };

async function repoFixture(clockAheadMs = 60_000) {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-memo-" }));
  const repo = `${root}/repo`;
  await Deno.mkdir(`${repo}/src`, { recursive: true });
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
      cwd: repo,
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  await git("init", "-q");
  await Deno.writeTextFile(`${repo}/a.txt`, "alpha\n");
  await Deno.writeTextFile(`${repo}/src/b.ts`, "export {};\n");
  await Deno.writeTextFile(`${repo}/m.txt`, "one\n");
  // Settled: files an hour old, and an index written after them (else git rewrites it on every status).
  const hourAgo = new Date(Date.now() - 3_600_000);
  const settle = async (...files: string[]) => {
    for (const file of files) await Deno.utime(`${repo}/${file}`, hourAgo, hourAgo);
  };
  await settle("a.txt", "src/b.ts", "m.txt");
  await git("add", ".");
  await git("commit", "-qm", "init");
  await Deno.writeTextFile(`${repo}/m.txt`, "two, longer\n"); // dirty
  await Deno.writeTextFile(`${repo}/u.txt`, "untracked\n");
  await settle("m.txt", "u.txt");
  await git("status", "-s");
  const deps = {
    proc: realProcess,
    fs: realFs,
    env: {
      get: (name: string) => (name === "XDG_CACHE_HOME" ? `${root}/cache` : undefined),
      all: () => ({}),
    },
    system: { homeDir: () => root } as never,
    clock: { now: () => Date.now() + clockAheadMs } as never,
  };
  const request = (rules = builtinRules()): SyncTreeRequest => ({
    gitRoot: repo,
    rules,
    ruleTexts: rules.map((r) => `${r.include ? "!" : ""}${r.pattern}`),
    options: OPTIONS,
  });
  return {
    repo,
    git,
    async open(rules?: ReturnType<typeof builtinRules>) {
      const tree = await openSyncTree(deps, request(rules));
      return { source: tree.source, value: (await tree.fingerprint).value, tree };
    },
    /** The fingerprint of a full build from git, no memo involved. */
    async truth(rules = builtinRules()) {
      const { ruleTexts } = request(rules);
      const manifest = await buildManifest(deps, repo, rules);
      return (await localFingerprint(deps, manifest, ruleTexts, OPTIONS)).value;
    },
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/**
 * Same byte count, the old mtime, a new inode (an editor's save by rename). An in-place rewrite within the
 * same second would keep even the inode's change time (kept in whole seconds): the racy rule keeps such
 * files out of a memo, and the memoable() table below covers it.
 */
async function sameSizeEdit(path: string, text: string) {
  const { mtime } = await Deno.stat(path);
  await Deno.writeTextFile(`${path}.new`, text);
  await Deno.utime(`${path}.new`, mtime!, mtime!);
  await Deno.rename(`${path}.new`, path);
}

Deno.test("manifest memo: the second open of an unchanged tree is answered from the memo", async () => {
  const f = await repoFixture();
  try {
    const first = await f.open();
    assert.equal(first.source, "git");
    const second = await f.open();
    assert.equal(second.source, "memo");
    assert.equal(second.value, first.value);
    assert.equal(second.value, await f.truth());
    assert.deepEqual(second.tree.summary, first.tree.summary);
    // A transfer after a hit still gets the full manifest, with the same fingerprint.
    const full = await second.tree.full();
    assert.deepEqual(full.manifest.files, ["a.txt", "m.txt", "src/b.ts", "u.txt"]);
    assert.equal(second.tree.summary.files, 4);
    assert.equal(full.fingerprint.value, first.value);
  } finally {
    await f.cleanup();
  }
});

const changes: {
  name: string;
  change: (f: Awaited<ReturnType<typeof repoFixture>>) => Promise<unknown>;
  rules?: () => ReturnType<typeof builtinRules>;
  /** The expected source of the open after the change (left out where git may or may not rewrite its index). */
  source?: "memo" | "git";
  moves: boolean;
}[] = [
  {
    name: "same-size edit of a dirty file, mtime kept",
    change: (f) => sameSizeEdit(`${f.repo}/m.txt`, "owt, longer\n"),
    source: "git",
    moves: true,
  },
  {
    name: "same-size edit of an untracked file, mtime kept",
    change: (f) => sameSizeEdit(`${f.repo}/u.txt`, "UNTRACKED\n"),
    source: "git",
    moves: true,
  },
  {
    name: "a new untracked file",
    change: (f) => Deno.writeTextFile(`${f.repo}/new.txt`, "n"),
    source: "git",
    moves: true,
  },
  {
    name: "an edit of a clean file",
    change: (f) => Deno.writeTextFile(`${f.repo}/a.txt`, "beta\n"),
    source: "git",
    moves: true,
  },
  { name: "a deleted file", change: (f) => Deno.remove(`${f.repo}/src/b.ts`), source: "git", moves: true },
  { name: "git add of the dirty file", change: (f) => f.git("add", "m.txt"), source: "git", moves: false },
  { name: "a commit", change: (f) => f.git("commit", "-qam", "next"), source: "git", moves: true },
  {
    name: "an empty commit (HEAD moves, the files do not)",
    change: (f) => f.git("commit", "-q", "--allow-empty", "-m", "e"),
    moves: true,
  },
  {
    name: "a .gitignore that hides the untracked file",
    change: (f) => Deno.writeTextFile(`${f.repo}/.gitignore`, "u.txt\n"),
    source: "git",
    moves: true,
  },
  {
    name: "other rules",
    change: async () => {},
    rules: () => [...builtinRules(), ...parseRuleLines("*.ts", "repo")],
    source: "git",
    moves: true,
  },
  {
    name: "a clean file touched",
    change: (f) => Deno.utime(`${f.repo}/a.txt`, new Date(), new Date()),
    moves: false,
  },
  { name: "nothing", change: async () => {}, source: "memo", moves: false },
];

for (const { name, change, rules, source, moves } of changes) {
  Deno.test(`manifest memo: ${name}`, async () => {
    const f = await repoFixture();
    try {
      const before = await f.open();
      await change(f);
      const after = await f.open(rules?.());
      if (source) assert.equal(after.source, source);
      assert.equal(after.value, await f.truth(rules?.()), "the fingerprint a full build gives");
      assert.equal(
        after.value !== before.value,
        moves,
        moves ? "the fingerprint moves" : "the fingerprint stays",
      );
    } finally {
      await f.cleanup();
    }
  });
}

Deno.test("manifest memo: a file changed just now is not memoised, so the next open builds again", async () => {
  const f = await repoFixture(0);
  try {
    await f.open();
    assert.equal((await f.open()).source, "git");
  } finally {
    await f.cleanup();
  }
});

Deno.test("manifest memo: a memo file that is not one is ignored and rewritten", async () => {
  const f = await repoFixture();
  try {
    await f.open();
    const cache = `${f.repo}/../cache/crabbox/manifests`;
    for (const entry of Deno.readDirSync(cache)) {
      Deno.writeTextFileSync(`${cache}/${entry.name}`, "{not json");
    }
    assert.equal((await f.open()).source, "git");
    assert.equal((await f.open()).source, "memo");
  } finally {
    await f.cleanup();
  }
});

const info = (over: Partial<FileInfo> = {}): FileInfo => ({
  isFile: true,
  isDirectory: false,
  isSymlink: false,
  size: 3,
  mode: 0o100644,
  mtimeMs: 1_000,
  ctimeMs: 1_000,
  ino: 7,
  uid: 0,
  ...over,
});

Deno.test("manifest memo: what can be memoised", () => {
  const now = 100_000;
  const cases: [string, [string, FileInfo | null][], boolean][] = [
    ["settled files", [["/r/a", info()], ["/r/gone", null]], true],
    ["a file written just now", [["/r/a", info({ mtimeMs: now - RACY_MS / 2 })]], false],
    ["an inode changed just now", [["/r/a", info({ ctimeMs: now - 1 })]], false],
    ["unknown times", [["/r/a", info({ mtimeMs: null, ctimeMs: null })]], false],
    ["a submodule looked into", [["/r/sub/.git", info({ isFile: false, isDirectory: true })]], false],
  ];
  for (const [name, looked, expected] of cases) assert.equal(memoable(new Map(looked), now), expected, name);
  const many = new Map(Array.from({ length: MAX_LOOKED + 1 }, (_, i) => [`/r/${i}`, info()]));
  assert.equal(memoable(many, now), false, "too many files to look at");
});

Deno.test("manifest memo: a signature changes with size, mode, times, inode and type", () => {
  const variants = [
    info({ size: 4 }),
    info({ mode: 0o100755 }),
    info({ mtimeMs: 2_000 }),
    info({ ctimeMs: 2_000 }),
    info({ ino: 8 }),
    info({ isFile: false, isSymlink: true }),
    null,
  ];
  const seen = new Set([fileSignature(info())]);
  for (const variant of variants) seen.add(fileSignature(variant));
  assert.equal(seen.size, variants.length + 1);
  assert.equal(parseMemo('{"format": 0}'), null);
  assert.equal(parseMemo("[]"), null);
});
