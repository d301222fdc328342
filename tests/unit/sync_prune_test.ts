/**
 * The box-side sync bookkeeping (SPEC §10.5 steps 1, 3, 4) run for real with local bash/coreutils in
 * a temp work root, started the way sshd starts them.
 */
import assert from "node:assert/strict";
import {
  changedFilesScript,
  commitSyncScript,
  fullResyncScript,
  pruneScript,
  readSyncStateScript,
  type RemoteScript,
  splitPruneAnswer,
} from "../../ssh/scripts.ts";
import { remoteBash } from "../../lease/box.ts";

const decoder = new TextDecoder();
const nul = (paths: string[]) => paths.map((p) => p + "\0").join("");
const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

async function run(remote: RemoteScript, stdin = "") {
  const child = new Deno.Command("bash", {
    args: ["-c", remoteBash(remote.script, remote.args)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

interface Box {
  root: string;
  workdir: string;
  /** Prune with this manifest, then commit if it succeeded (as the sync step does). */
  sync(files: string[], options?: { limit?: number; allow?: boolean }): ReturnType<typeof run>;
}

async function box(): Promise<Box> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-prune-" }));
  const workdir = `${root}/cbx_0123456789ab/repo`;
  await Deno.mkdir(workdir, { recursive: true });
  return {
    root,
    workdir,
    async sync(files, options = {}) {
      for (const file of files) {
        const path = `${workdir}/${file}`;
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        if (!(await exists(path))) await Deno.writeTextFile(path, file);
      }
      const prune = await run(
        pruneScript({
          workRoot: root,
          repo: "repo",
          workdir,
          massDeleteLimit: options.limit ?? 200,
          allowMassDelete: options.allow ?? false,
        }),
        nul(files),
      );
      if (prune.code === 0) {
        const commit = await run(
          commitSyncScript({ workRoot: root, repo: "repo", fingerprint: "fp1", source: "src" }),
        );
        assert.equal(commit.code, 0, commit.stderr);
      }
      return prune;
    },
  };
}

const storedManifest = async (b: Box) =>
  (await Deno.readTextFile(`${b.root}/.crabbox/sync/repo/manifest`)).split("\0").filter(Boolean);

Deno.test("prune deletes only what crabbox synced before and is gone now", async () => {
  const b = await box();
  assert.equal(
    (await b.sync(["a.txt", "deep/er/b.txt", "keep/c.txt", "with space.txt"])).stdout,
    "PRUNED 0\n",
  );
  await Deno.writeTextFile(`${b.workdir}/made-on-box.txt`, "x"); // never synced: never touched
  await Deno.writeTextFile(`${b.workdir}/keep/made-on-box.txt`, "x");

  const result = await b.sync(["a.txt"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "PRUNED 3\n");
  assert.equal(await exists(`${b.workdir}/a.txt`), true);
  assert.equal(await exists(`${b.workdir}/with space.txt`), false);
  assert.equal(await exists(`${b.workdir}/deep`), false, "emptied directories go, bottom-up");
  assert.equal(await exists(`${b.workdir}/keep/c.txt`), false);
  assert.equal(await exists(`${b.workdir}/keep/made-on-box.txt`), true, "a non-empty directory stays");
  assert.equal(await exists(`${b.workdir}/made-on-box.txt`), true);
  assert.deepEqual(await storedManifest(b), ["a.txt"]);
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("prune never touches .git, escapes, or anything behind a symlink", async () => {
  const b = await box();
  const outside = `${b.root}/outside`;
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/victim`, "precious");
  await Deno.mkdir(`${b.workdir}/.git`);
  await Deno.writeTextFile(`${b.workdir}/.git/config`, "x");
  await Deno.mkdir(`${b.workdir}/sub/.git`, { recursive: true });
  await Deno.writeTextFile(`${b.workdir}/sub/.git/HEAD`, "x");
  await Deno.symlink(outside, `${b.workdir}/linked`);
  await Deno.symlink(`${outside}/victim`, `${b.workdir}/file-link`);
  // A stored manifest that claims paths crabbox must never delete (corrupt or hostile).
  await Deno.mkdir(`${b.root}/.crabbox/sync/repo`, { recursive: true });
  await Deno.writeTextFile(
    `${b.root}/.crabbox/sync/repo/manifest`,
    nul([
      ".git/config",
      "sub/.git/HEAD",
      "../outside/victim",
      "linked/victim",
      "/etc/hostname",
      "file-link",
      "x",
    ]),
  );
  const result = await b.sync(["x"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "PRUNED 1\n", "only the symlink itself");
  assert.equal(await exists(`${b.workdir}/file-link`), false);
  assert.equal(await Deno.readTextFile(`${outside}/victim`), "precious");
  assert.equal(await exists(`${b.workdir}/.git/config`), true);
  assert.equal(await exists(`${b.workdir}/sub/.git/HEAD`), true);
  assert.equal(await exists(`${b.workdir}/linked`), true);
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("mass-deletion guard: over the limit or an emptied manifest deletes nothing, exit 66", async () => {
  const b = await box();
  const files = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, "0")}.txt`);
  await b.sync(files);

  const guarded = await b.sync(["f00.txt"], { limit: 11 });
  assert.equal(guarded.code, 66);
  const [head, ...samples] = guarded.stdout.trimEnd().split("\n");
  assert.equal(head, "MASS 11");
  assert.deepEqual(samples, files.slice(1, 11), "ten samples");
  for (const file of files) assert.equal(await exists(`${b.workdir}/${file}`), true);
  assert.deepEqual(await storedManifest(b), files, "the stored manifest is unchanged");

  const emptied = await b.sync([], { limit: 200 });
  assert.equal(emptied.code, 66);
  assert.match(emptied.stdout, /^MASS 12\n/);
  for (const file of files) assert.equal(await exists(`${b.workdir}/${file}`), true);

  const allowed = await b.sync(["f00.txt"], { limit: 11, allow: true });
  assert.equal(allowed.code, 0);
  assert.equal(allowed.stdout, "PRUNED 11\n");
  assert.deepEqual(await storedManifest(b), ["f00.txt"]);
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("a first sync with an empty tree is not a mass deletion", async () => {
  const b = await box();
  const result = await b.sync([]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "PRUNED 0\n");
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("fingerprint state: absent before a sync, recorded by commit, forgotten by full resync", async () => {
  const b = await box();
  const state = readSyncStateScript({ workRoot: b.root, repo: "repo" });
  assert.deepEqual(await run(state), { code: 0, stdout: "records none\n", stderr: "" });
  // This sync sends no content ids (no comparison ran): the box says it has none.
  await b.sync(["a.txt"]);
  assert.equal((await run(state)).stdout, "fp1 src\nrecords none\n");
  const leftovers = [...Deno.readDirSync(`${b.root}/.crabbox/sync/repo`)].map((e) => e.name).sort();
  assert.deepEqual(leftovers, ["fingerprint", "manifest"]);

  const reset = await run(fullResyncScript({ workRoot: b.root, leaseId: "cbx_0123456789ab", repo: "repo" }));
  assert.equal(reset.code, 0);
  assert.equal(await exists(b.workdir), false);
  assert.equal((await run(state)).stdout, "records none\n");
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("an interrupted sync (prune without commit) keeps the old fingerprint", async () => {
  const b = await box();
  await b.sync(["a.txt", "b.txt"]);
  const prune = await run(
    pruneScript({
      workRoot: b.root,
      repo: "repo",
      workdir: b.workdir,
      massDeleteLimit: 200,
      allowMassDelete: false,
    }),
    nul(["a.txt"]),
  );
  assert.equal(prune.code, 0);
  assert.equal(
    (await run(readSyncStateScript({ workRoot: b.root, repo: "repo" }))).stdout,
    "fp1 src\nrecords none\n",
  );
  assert.deepEqual(await storedManifest(b), ["a.txt", "b.txt"]);
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("content ids: the box names what changed since its last committed sync", async () => {
  const b = await box();
  const changed = async (records: [string, string][]) => {
    const result = await run(
      changedFilesScript({ workRoot: b.root, repo: "repo" }),
      records.map(([id, path]) => `${id} ${path}\0`).join(""),
    );
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.split("\0").filter(Boolean).sort();
  };
  const first: [string, string][] = [["aaa", "a.txt"], ["bbb", "dir/with space.txt"], ["ccc", "line\nbreak"]];
  assert.deepEqual(await changed(first), ["a.txt", "dir/with space.txt", "line\nbreak"], "no record yet");
  await b.sync(["a.txt"]); // prune + commit: the ids become the record
  assert.equal(await exists(`${b.root}/.crabbox/sync/repo/ids.new`), false);
  assert.deepEqual(await changed(first), [], "nothing changed");

  // The compare starts a transfer: the fingerprint goes, so a sync cut short is never skipped.
  assert.equal(await exists(`${b.root}/.crabbox/sync/repo/fingerprint`), false);
  const next: [string, string][] = [["aaa", "a.txt"], ["bb2", "dir/with space.txt"], ["ddd", "new.txt"]];
  assert.deepEqual(await changed(next), ["dir/with space.txt", "new.txt"]);
  // Not committed: the changed files stay untrusted, the unchanged one stays trusted.
  assert.deepEqual(await changed(first), ["dir/with space.txt", "line\nbreak"]);
  await Deno.remove(b.root, { recursive: true });
});

Deno.test("commit takes the newest manifest.new of the prunes before it and clears the rest", async () => {
  const b = await box();
  const state = `${b.root}/.crabbox/sync/repo`;
  await Deno.mkdir(state, { recursive: true });
  await Deno.writeTextFile(`${state}/manifest.new.1`, nul(["old"]));
  await Deno.writeTextFile(`${state}/manifest.new.2`, nul(["new"]));
  await Deno.utime(`${state}/manifest.new.1`, 1_000, 1_000);
  const commit = await run(
    commitSyncScript({ workRoot: b.root, repo: "repo", fingerprint: "fp", source: "s" }),
  );
  assert.equal(commit.code, 0, commit.stderr);
  assert.deepEqual(await storedManifest(b), ["new"]);
  assert.deepEqual([...Deno.readDirSync(state)].map((e) => e.name).sort(), ["fingerprint", "manifest"]);
  await Deno.remove(b.root, { recursive: true });
});

/** A step for prune's channel: prints its arguments and what it reads, exits with its first one. */
const echoStep = (...args: string[]): RemoteScript => ({
  name: "exec",
  script: `printf 'args=%s\\n' "$*"; printf 'stdin=%s\\n' "$(cat)"; exit "$1"`,
  args,
});

Deno.test("prune's channel: then-steps run in order with their own arguments, stdin empty, each status said", async () => {
  const b = await box();
  await b.sync(["a.txt"]);
  const prune = await run(
    pruneScript({
      workRoot: b.root,
      repo: "repo",
      workdir: b.workdir,
      massDeleteLimit: 200,
      allowMassDelete: false,
      then: [echoStep("3", "two words"), echoStep("0"), { ...echoStep(), script: "printf 'no newline'" }],
    }),
    nul(["b.txt"]),
  );
  assert.equal(prune.code, 0, prune.stderr);
  assert.deepEqual(splitPruneAnswer(prune.stdout), {
    own: "PRUNED 1\n",
    steps: [
      { stdout: "args=3 two words\nstdin=\n", code: 3 },
      { stdout: "args=0\nstdin=\n", code: 0 },
      { stdout: "no newline", code: 0 },
    ],
  });
  // The sync step reads the answer trimmed, and a refused prune runs no step.
  assert.deepEqual(splitPruneAnswer(prune.stdout.trim()).steps.at(-1), { stdout: "no newline", code: 0 });
  assert.deepEqual(splitPruneAnswer("MASS 300\na.txt"), { own: "MASS 300\na.txt", steps: [] });
  await Deno.remove(b.root, { recursive: true });
});
