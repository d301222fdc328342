/** The sync manifest against a real git repository in a temp dir (SPEC §10.1, §10.2, §16 #24). */
import assert from "node:assert/strict";
import { realFs, realProcess } from "../../core/runtime.ts";
import { CrabboxError } from "../../core/errors.ts";
import { buildManifest, findGitRoot, gitMode, pruneList } from "../../sync/manifest.ts";
import { localFingerprint } from "../../sync/fingerprint.ts";
import { builtinRules, parseRuleLines } from "../../sync/rules.ts";

const deps = { proc: realProcess, fs: realFs };

async function sh(cwd: string, script: string): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: ["-euc", script],
    cwd,
    env: {
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** A repo with one of everything the manifest has to sort out. */
async function fixtureRepo(): Promise<string> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-manifest-" }));
  await sh(
    base,
    `
    git init -q lib && cd lib && echo lib >lib.txt && git add . && git commit -qm lib && cd ..
    git init -q repo && cd repo
    mkdir -p src dist config certs sparse
    echo 'console.log(1)' >src/a.ts
    echo '{}' >dist/schema.json
    echo secret >.env; echo 'A=' >.env.example; echo k >config/dev.key; echo ca >certs/ca.pem
    echo gone >gone.txt; echo s >sparse/skipped.txt; echo s >sparse/present.txt
    printf 'x' >'odd name.txt'
    echo ignored.txt >.gitignore
    git add -A && git add -f .env config/dev.key certs/ca.pem
    git -c protocol.file.allow=always submodule -q add ../lib vendor/lib
    git commit -qm init
    # Local state after the commit:
    rm gone.txt
    git update-index --skip-worktree sparse/skipped.txt sparse/present.txt && rm sparse/skipped.txt
    echo bundle >dist/bundle.js; echo new >new.txt; echo i >ignored.txt
    mkdir -p node_modules/pkg && echo m >node_modules/pkg/index.js
    echo untracked-in-sub >vendor/lib/extra.txt
    `,
  );
  return `${base}/repo`;
}

Deno.test("manifest: git listing, rules, deletions, skip-worktree and submodules", async () => {
  const root = await fixtureRepo();
  assert.equal(await findGitRoot(deps, `${root}/src`), root);
  const rules = [...builtinRules(), ...parseRuleLines("!certs/ca.pem\n", "crabboxignore")];
  const manifest = await buildManifest(deps, root, rules);

  assert.deepEqual(manifest.files, [
    ".env.example",
    ".gitignore",
    ".gitmodules",
    "certs/ca.pem",
    "dist/schema.json",
    "new.txt",
    "odd name.txt",
    "src/a.ts",
    "vendor/lib/extra.txt",
    "vendor/lib/lib.txt",
  ]);
  assert.deepEqual(manifest.deleted, ["gone.txt"]);
  assert.deepEqual(manifest.skipped, ["sparse/present.txt", "sparse/skipped.txt"]);
  assert.deepEqual(manifest.excludedTrackedSecrets, [
    { path: ".env", rule: ".env*" },
    { path: "config/dev.key", rule: "*.key" },
  ]);
  assert.deepEqual(manifest.protectedTracked, [{ path: "dist/schema.json", rule: "dist" }]);
  assert.deepEqual(manifest.reincludedSecrets, ["certs/ca.pem"]);
  assert.equal(manifest.sizes.length, manifest.files.length);
  assert.equal(manifest.sizes[manifest.files.indexOf("odd name.txt")], 1);
  assert.equal(manifest.bytes, manifest.sizes.reduce((a, b) => a + b, 0));
  // Sparse paths stay in what the prune compares against, so they are never deleted on the box.
  assert.deepEqual(
    new TextDecoder().decode(pruneList(manifest)).split("\0").filter(Boolean),
    [...manifest.files, ...manifest.skipped].sort(),
  );
  await Deno.remove(root.slice(0, root.lastIndexOf("/")), { recursive: true }); // the fixture's base
});

Deno.test("manifest: sync.include keeps only matching prefixes and globs", async () => {
  const root = await fixtureRepo();
  const manifest = await buildManifest(deps, root, builtinRules(), { include: ["src", "*.txt"] });
  assert.deepEqual(manifest.files, [
    "new.txt",
    "odd name.txt",
    "src/a.ts",
    "vendor/lib/extra.txt",
    "vendor/lib/lib.txt",
  ]);
  assert.deepEqual(manifest.deleted, ["gone.txt"]);
  await Deno.remove(root.slice(0, root.lastIndexOf("/")), { recursive: true }); // the fixture's base
});

Deno.test("not a git repository: exit 6 with the git init hint, before anything is leased", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crabbox-nogit-" });
  const error = await findGitRoot(deps, dir).then(() => null, (e) => e);
  assert.ok(error instanceof CrabboxError);
  assert.equal(error.kind, "sync");
  assert.equal(error.exitCode, 6);
  assert.equal(error.hint, "run 'git init' or use --no-sync");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("manifest: FIFOs and sockets are skipped and named, never sent, never opened", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-special-" }));
  // git lists a tracked path that became a FIFO or a socket (and, depending on the version, an untracked FIFO).
  await sh(
    base,
    `git init -q . && echo a >a.txt && echo p >pipe && echo s >sock && git add . && git commit -qm init
     rm pipe sock && mkfifo pipe untracked-pipe`,
  );
  const listener = Deno.listen({ transport: "unix", path: `${base}/sock` });
  try {
    const manifest = await buildManifest(deps, base, builtinRules());
    assert.deepEqual(manifest.files, ["a.txt"]);
    assert.equal(manifest.bytes, 2);
    assert.deepEqual(manifest.deleted, [], "a path that is still there is not a deletion");
    const listed = manifest.nonRegular.map((f) => f.path);
    assert.deepEqual(
      manifest.nonRegular.filter((f) => f.path !== "untracked-pipe"),
      [{ path: "pipe", kind: "fifo" }, { path: "sock", kind: "socket" }],
    );
    assert.deepEqual(listed.filter((p) => p !== "untracked-pipe"), ["pipe", "sock"]);

    // Whoever opens the FIFO for reading unblocks this writer: proof that it was opened.
    let opened = false;
    const writer = Deno.open(`${base}/pipe`, { write: true }).then((file) => {
      opened = true;
      file.close();
    });
    await localFingerprint(deps, manifest, [], { delete: true, checksum: false });
    assert.equal(opened, false, "the fingerprint opened the FIFO");
    const reader = await Deno.open(`${base}/pipe`, { read: true }); // releases our own writer
    await writer;
    reader.close();
  } finally {
    listener.close();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("manifest: sizes and modes from git equal lstat's; content ids only where the work tree is the index", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-gitsizes-" }));
  await sh(
    base,
    `git init -q . && git config filter.double.clean "sed s/x/xx/g" && git config filter.double.smudge cat
     echo '*.dbl filter=double' >.gitattributes
     echo x >clean.txt; echo x >grows.txt; echo x >tool.sh; echo xxx >f.dbl; echo xx >g.dbl; echo x >assumed.txt
     echo x >"$(printf 'new\\nline.txt')"; echo x >'with space.txt'; ln -s clean.txt link
     git add -A && git commit -qm init
     echo longer >grows.txt; chmod +x tool.sh; echo changed-behind-gits-back >assumed.txt
     git update-index --assume-unchanged assumed.txt
     echo u >untracked.txt; echo n >staged.txt && git add -N staged.txt
     echo xxxx >f.dbl && git add f.dbl && echo xxx >f.dbl # the index holds a size the file no longer has`,
  );
  try {
    const manifest = await buildManifest(deps, base, builtinRules());
    assert.deepEqual(manifest.files, [
      ".gitattributes",
      "assumed.txt",
      "clean.txt",
      "f.dbl",
      "g.dbl",
      "grows.txt",
      "link",
      "new\nline.txt",
      "staged.txt",
      "tool.sh",
      "untracked.txt",
      "with space.txt",
    ]);
    for (const [i, path] of manifest.files.entries()) {
      const info = (await realFs.lstat(`${base}/${path}`))!;
      assert.equal(manifest.sizes[i], info.size, `${path} size`);
      assert.equal(manifest.modes[i], gitMode(info), `${path} mode`);
    }
    assert.equal(manifest.modes[manifest.files.indexOf("tool.sh")], 0o100755);
    assert.deepEqual([...manifest.symlinks], ["link"]);
    assert.deepEqual(
      [...manifest.indexIds.keys()].sort(),
      [".gitattributes", "assumed.txt", "clean.txt", "g.dbl", "link", "new\nline.txt", "with space.txt"],
      "changed, staged-then-edited, intent-to-add and untracked files are hashed, not taken from the index",
    );
    assert.equal(manifest.bytes, manifest.sizes.reduce((a, b) => a + b, 0));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
