/** The sync fingerprint (SPEC §10.5): the exact text hashed, what changes it, and a real repo. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  fingerprint,
  type FingerprintInput,
  headAndTree,
  localFingerprint,
  treeDigest,
} from "../../sync/fingerprint.ts";
import { buildManifest } from "../../sync/manifest.ts";
import { builtinRules } from "../../sync/rules.ts";
import { realFs, realProcess } from "../../core/runtime.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const base: FingerprintInput = {
  head: "0123456789abcdef0123456789abcdef01234567",
  tree: "89abcdef0123456789abcdef0123456789abcdef",
  manifest: ["a.txt", "src/b.ts"],
  deleted: ["gone.txt"],
  rules: ["node_modules", "!keep"],
  options: { delete: true, checksum: false },
  changed: [{ path: "src/b.ts", mode: "100644", size: 3, hash: sha("abc") }],
};

Deno.test("fingerprint hashes exactly the SPEC text", () => {
  const files = `manifest=${sha("a.txt\0src/b.ts\0")}\n` +
    `deleted=${sha("gone.txt\0")}\n` +
    `rules=${sha("node_modules\n!keep")}\n` +
    `src/b.ts\x00100644\x003\x00${sha("abc")}\n`;
  const text = "crabbox-sync-v2\n" +
    `head=${base.head}\n` +
    `tree=${base.tree}\n` +
    "options=delete:true,checksum:false\n" +
    `files=${sha(files)}\n`;
  assert.equal(treeDigest(base), sha(files));
  assert.equal(fingerprint(base), sha(text));
  assert.equal(fingerprint({ ...base, head: null, tree: null }).length, 64);
});

Deno.test("every input moves the fingerprint", () => {
  const variants: [string, FingerprintInput][] = [
    ["head", { ...base, head: null }],
    ["tree", { ...base, tree: "x" }],
    ["manifest", { ...base, manifest: ["a.txt"] }],
    ["deleted", { ...base, deleted: [] }],
    ["rules", { ...base, rules: ["node_modules"] }],
    ["delete option", { ...base, options: { delete: false, checksum: false } }],
    ["checksum option", { ...base, options: { delete: true, checksum: true } }],
    ["changed content", { ...base, changed: [{ ...base.changed[0], hash: sha("abd") }] }],
    ["changed mode", { ...base, changed: [{ ...base.changed[0], mode: "100755" }] }],
  ];
  const seen = new Set([fingerprint(base)]);
  for (const [name, input] of variants) {
    const value = fingerprint(input);
    assert.equal(seen.has(value), false, name);
    seen.add(value);
  }
  assert.equal(fingerprint(structuredClone(base)), fingerprint(base), "deterministic");
});

Deno.test("local fingerprint follows content, not timestamps", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-fp-" }));
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
      cwd: root,
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  await git("init", "-q");
  await Deno.writeTextFile(`${root}/tracked.txt`, "one");
  await git("add", ".");
  await git("commit", "-qm", "init");
  await Deno.writeTextFile(`${root}/untracked.txt`, "u1");

  const deps = { proc: realProcess, fs: realFs };
  const options = { delete: true, checksum: false };
  const current = async () =>
    (await localFingerprint(deps, await buildManifest(deps, root, builtinRules()), ["r"], options)).value;

  const first = await current();
  assert.equal(await current(), first, "stable when nothing changed");
  const later = new Date(Date.now() + 60_000);
  await Deno.utime(`${root}/tracked.txt`, later, later);
  assert.equal(await current(), first, "mtime alone is not a change");

  await Deno.writeTextFile(`${root}/tracked.txt`, "two"); // same size, new content
  const edited = await current();
  assert.notEqual(edited, first);
  await Deno.writeTextFile(`${root}/untracked.txt`, "u2");
  const untrackedEdited = await current();
  assert.notEqual(untrackedEdited, edited);
  await Deno.writeTextFile(`${root}/tracked.txt`, "one");
  await Deno.writeTextFile(`${root}/untracked.txt`, "u1");
  assert.equal(await current(), first, "back to the same content, back to the same fingerprint");
  const head =
    (await localFingerprint(deps, await buildManifest(deps, root, builtinRules()), ["r"], options)).head;
  assert.match(head!, /^[0-9a-f]{40}$/);
  await Deno.remove(root, { recursive: true });
});

const HEAD_CASES = [
  { name: "an unborn branch: no HEAD, no tree", commit: false, files: ["a.txt"] },
  { name: "a commit", commit: true, files: ["a.txt"] },
  { name: "a commit with a file named HEAD (a revision, not a path)", commit: true, files: ["HEAD"] },
];

for (const c of HEAD_CASES) {
  Deno.test(`headAndTree, in one git process: ${c.name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "cbx-head-" });
    const git = (...args: string[]) =>
      new Deno.Command("git", { args: ["-C", dir, ...args], stdout: "piped", stderr: "null" }).output()
        .then((out) => new TextDecoder().decode(out.stdout).trim());
    try {
      await git("init", "-q");
      for (const file of c.files) await Deno.writeTextFile(`${dir}/${file}`, "x\n");
      await git("add", ".");
      if (c.commit) {
        await git("-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "m");
      }
      const calls: string[][] = [];
      const proc = {
        ...realProcess,
        run: (cmd: string, args: string[], o?: { cwd?: string }) => {
          calls.push(args);
          return realProcess.run(cmd, args, o);
        },
      };
      const got = await headAndTree({ proc }, dir);
      assert.equal(calls.length, 1);
      if (!c.commit) assert.deepEqual(got, { head: null, tree: null });
      else {
        assert.deepEqual(got, {
          head: await git("rev-parse", "HEAD"),
          tree: await git("rev-parse", "HEAD^{tree}"),
        });
        assert.match(got.head!, /^[0-9a-f]{40}$/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
