/**
 * The sync step as a use case, root-free: real git, rsync and bash, with a "box" that is a local
 * directory (its scripts run in local bash, rsync's ssh is a stand-in that runs the remote side here).
 */
import assert from "node:assert/strict";
import { realClock, realFs, realProcess, realSystem } from "../../core/runtime.ts";
import { Output } from "../../core/output.ts";
import { CrabboxError, interruptedError } from "../../core/errors.ts";
import { Redactor } from "../../core/redact.ts";
import type { Terminal } from "../../core/deps.ts";
import { shellJoin } from "../../core/format.ts";
import { remoteBash } from "../../lease/box.ts";
import type { RemoteScript } from "../../ssh/scripts.ts";
import { type SyncBox, type SyncOptions, syncTree } from "../../lease/sync_step.ts";
import { buildManifest } from "../../sync/manifest.ts";
import { treeOf } from "../../sync/sync_tree.ts";
import { builtinRules } from "../../sync/rules.ts";

const decoder = new TextDecoder();
const deps = { proc: realProcess, fs: realFs, clock: realClock };

async function sh(cwd: string, script: string): Promise<string> {
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
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `${script}\n${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

interface Fixture {
  repo: string;
  box: SyncBox;
  workdir: string;
  stderr: () => string;
  /** `on` swaps the box (e.g. a stuck ssh) or adds the invocation's interrupt signal. */
  sync(
    options?: Partial<SyncOptions>,
    on?: { box?: SyncBox; signal?: AbortSignal },
  ): ReturnType<typeof syncTree>;
  cleanup(): Promise<void>;
}

/** A committed repo (README.md dirty) and an empty local "box". */
async function fixture(): Promise<Fixture> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-step-" }));
  const repo = `${tmp}/repo`;
  await Deno.mkdir(`${repo}/src`, { recursive: true });
  await sh(
    repo,
    `git init -q -b main . && printf '# webapp\\n' >README.md && printf "console.log('hello');\\n" >src/app.js
     git add . && git commit -qm sample && printf '# webapp\\ndirty\\n' >README.md`,
  );
  const workRoot = `${tmp}/box`;
  const workdir = `${workRoot}/cbx_0123456789ab/repo`;
  const fakeSsh = `${tmp}/ssh`;
  await Deno.writeTextFile(
    fakeSsh,
    `#!/bin/bash
while [ "$#" -gt 0 ] && [ "$1" != box.invalid ]; do shift; done
shift
exec bash -c "$*"
`,
    { mode: 0o755 },
  );
  const box: SyncBox = {
    leaseId: "cbx_0123456789ab",
    workRoot,
    destination: "crabbox@box.invalid",
    rsyncShell: () => shellJoin([fakeSsh]),
    async run(remote: RemoteScript, stdin?: Uint8Array | string) {
      const result = await realProcess.run("bash", ["-c", remoteBash(remote.script, remote.args)], {
        stdin: stdin ?? "",
        env: { GIT_CONFIG_GLOBAL: "/dev/null" },
      });
      return result;
    },
  };
  let stderr = "";
  const io: Terminal = {
    writeStdout: () => {},
    writeStderr: (chunk) => (stderr += typeof chunk === "string" ? chunk : decoder.decode(chunk)),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stderrColumns: () => null,
    onClosed: () => () => {},
  };
  const out = new Output(io, new Redactor(), { quiet: false, debug: true, json: false });
  return {
    repo,
    box,
    workdir,
    stderr: () => stderr,
    async sync(options = {}, on = {}) {
      stderr = "";
      const manifest = await buildManifest(deps, repo, builtinRules());
      return await syncTree({ deps, out, signal: on.signal }, on.box ?? box, {
        gitRoot: repo,
        tree: treeOf(deps, manifest, [], { delete: true, checksum: false }),
        checksum: false,
        skipUnchanged: true,
        fullResync: false,
        prune: true,
        massDeleteLimit: 200,
        allowMassDelete: false,
        hydrate: null,
        source: `laptop:${repo}`,
        timeoutSecs: 60,
        ...options,
        workdir,
        repo: "repo",
      });
    },
    cleanup: () => Deno.remove(tmp, { recursive: true }),
  };
}

/** Same length, new bytes, the old mtime: exactly what rsync's size+mtime quick check cannot see. */
async function sameSizeEdit(path: string, from: string, to: string): Promise<void> {
  const { mtime } = await Deno.stat(path);
  await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace(from, to));
  await Deno.utime(path, mtime!, mtime!);
}

Deno.test("sync step: same-size edits with a preserved mtime reach the box, dirty or committed", async () => {
  const f = await fixture();
  try {
    assert.equal((await f.sync()).skipped, false);
    await sameSizeEdit(`${f.repo}/README.md`, "dirty", "DIRTY");
    await sameSizeEdit(`${f.repo}/src/app.js`, "hello", "HELLO");
    await sh(f.repo, "git commit -qam 'same size'");
    await sameSizeEdit(`${f.repo}/README.md`, "DIRTY", "dirt!");
    const second = await f.sync();
    assert.equal(second.skipped, false);
    assert.equal(await Deno.readTextFile(`${f.workdir}/README.md`), "# webapp\ndirt!\n");
    assert.equal(await Deno.readTextFile(`${f.workdir}/src/app.js`), "console.log('HELLO');\n");
    // Only the two edited files were sent without trusting size+mtime, not the whole tree.
    assert.match(f.stderr(), /^crabbox: debug: content changed since the last sync: 2 files$/m);
    assert.equal((await f.sync()).skipped, true, "and then nothing is left to send");
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: a sync cut short after the transfer never leaves a changed file trusted", async () => {
  const f = await fixture();
  try {
    await f.sync();
    await sameSizeEdit(`${f.repo}/README.md`, "dirty", "DIRTY");
    await Deno.remove(`${f.repo}/src/app.js`);
    // The transfer delivers the edit, then the mass-deletion guard stops the sync before its commit.
    const refused = await f.sync({ massDeleteLimit: 1 }).then(() => null, (e) => e);
    assert.match(String(refused?.message), /sync would delete 1 files on the box/);
    assert.equal(await Deno.readTextFile(`${f.workdir}/README.md`), "# webapp\nDIRTY\n");
    // Back to the content of the last committed sync, with the size and mtime the box has now.
    await sh(f.repo, "git checkout -- src/app.js");
    await sameSizeEdit(`${f.repo}/README.md`, "DIRTY", "dirty");
    await f.sync();
    assert.equal(await Deno.readTextFile(`${f.workdir}/README.md`), "# webapp\ndirty\n");
  } finally {
    await f.cleanup();
  }
});

/** What `git status --short` and `git log -1` say, locally or on the box. */
const gitView = (dir: string) =>
  sh(dir, "git status --short; git log -1 --format='%H %s'; git branch --show-current");

Deno.test("sync step: without origin the box's git equals local git, by an incremental bundle", async () => {
  const f = await fixture();
  const hydrate = { origin: null, base: "", branch: "main" };
  try {
    await f.sync({ hydrate });
    assert.equal(await gitView(f.workdir), await gitView(f.repo));
    const head = (await sh(f.repo, "git rev-parse HEAD")).trim();
    assert.match(
      f.stderr(),
      new RegExp(
        `^crabbox: sync complete in \\S+ \\(pruned 0, hydrated ${head.slice(0, 12)} via bundle\\)$`,
        "m",
      ),
    );
    assert.match(f.stderr(), /^crabbox: debug: hydrate bundle \d+ B, full history$/m);

    await sh(f.repo, "echo new >NEW.md && git add NEW.md && git commit -qm second");
    await f.sync({ hydrate });
    assert.equal(await gitView(f.workdir), await gitView(f.repo));
    assert.match(
      f.stderr(),
      new RegExp(`^crabbox: debug: hydrate bundle \\d+ B, incremental from ${head.slice(0, 12)}$`, "m"),
    );
    assert.doesNotMatch(f.stderr(), /warning/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: a failed hydration names git's error and is retried on an unchanged tree", async () => {
  const f = await fixture();
  const hydrate = { origin: null, base: "", branch: "main" };
  try {
    await f.sync({ hydrate });
    await sh(f.repo, "git commit -q --allow-empty -m third");
    // The box can no longer store packs (a file where the directory was: root cannot write either).
    await sh(f.workdir, "mv .git/objects/pack .git/objects/pack.off && touch .git/objects/pack");
    try {
      await f.sync({ hydrate });
    } finally {
      await sh(f.workdir, "rm .git/objects/pack && mv .git/objects/pack.off .git/objects/pack");
    }
    assert.match(f.stderr(), /^crabbox: warning: hydrate skipped: .*Not a directory/m);
    assert.match(f.stderr(), /^crabbox: sync complete in \S+ \(pruned 0, hydrate failed\)$/m);
    assert.notEqual(await gitView(f.workdir), await gitView(f.repo));

    const retried = await f.sync({ hydrate });
    assert.equal(retried.skipped, true, "the tree did not change");
    assert.equal(await gitView(f.workdir), await gitView(f.repo), "but the hydration was redone");
    assert.equal((await f.sync({ hydrate })).skipped, true);
    assert.doesNotMatch(f.stderr(), /hydrat/, "and once it succeeded it is not redone");
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: origin has the base but not HEAD: the rest arrives in a bundle", async () => {
  const f = await fixture();
  try {
    const origin = `${f.repo}/../origin.git`;
    await sh(
      f.repo,
      `git init -q --bare ${origin} && git -C ${origin} config uploadpack.allowFilter true
      git -C ${origin} config uploadpack.allowAnySHA1InWant true && git push -q ${origin} HEAD:refs/heads/main`,
    );
    const hydrate = { origin: `file://${origin}`, base: "main", branch: "main" };
    await f.sync({ hydrate });
    assert.match(f.stderr(), /\(pruned 0, hydrated main\)$/m, "from origin");
    assert.equal(await gitView(f.workdir), await gitView(f.repo));

    await sh(f.repo, "echo more >>src/app.js && git commit -qam unpushed");
    await f.sync({ hydrate });
    assert.equal(await gitView(f.workdir), await gitView(f.repo));
    assert.equal(
      (await sh(f.workdir, "git rev-parse origin/main")).trim(),
      (await sh(origin, "git rev-parse main")).trim(),
    );
    assert.doesNotMatch(f.stderr(), /warning/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: an interrupt stops a running rsync at once and is the failure", async () => {
  const f = await fixture();
  const tmp = `${f.repo}/..`;
  const started = `${tmp}/ssh-started`;
  await sh(tmp, `mkfifo ssh-started`);
  // An "ssh" that never answers and ignores what rsync sends it: rsync waits until something stops rsync.
  const stuck = `${tmp}/stuck-ssh`;
  await Deno.writeTextFile(
    stuck,
    `#!/bin/bash\ntrap '' TERM HUP INT PIPE USR1 USR2\necho $$ >${started}\nexec sleep 30 2>/dev/null\n`,
    { mode: 0o755 },
  );
  const box = { ...f.box, rsyncShell: () => shellJoin([stuck]) };
  const interrupt = new AbortController();
  let sshPid = 0;
  try {
    const sync = f.sync({}, { box, signal: interrupt.signal });
    // Opening the FIFO waits for the stuck ssh to exist: rsync is running.
    sshPid = Number((await Deno.readTextFile(started)).trim());
    interrupt.abort(interruptedError("SIGTERM"));
    await assert.rejects(sync, (error: unknown) => {
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.kind, "interrupted");
      assert.equal(error.exitCode, 143);
      return true;
    });
    // rsync was stopped while its ssh was still stuck, not when that ssh gave up 30 s later.
    assert.ok(realSystem.processAlive(sshPid), "the sync ended only because its ssh did");
  } finally {
    if (sshPid && realSystem.processAlive(sshPid)) Deno.kill(sshPid, "SIGKILL");
    await f.cleanup();
  }
});

Deno.test("sync step: sync.fingerprint false syncs an unchanged tree again instead of skipping it", async () => {
  const f = await fixture();
  try {
    assert.equal((await f.sync()).skipped, false);
    assert.equal((await f.sync()).skipped, true, "the fingerprint matches");
    assert.equal((await f.sync({ skipUnchanged: false })).skipped, false);
    assert.doesNotMatch(f.stderr(), /sync skipped/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: prune and commit share one channel; a commit that fails is said, and the next sync resends", async () => {
  const f = await fixture();
  try {
    const channels: string[] = [];
    const box: SyncBox = {
      ...f.box,
      run: (remote, stdin) => (channels.push(remote.name), f.box.run(remote, stdin)),
    };
    assert.equal((await f.sync({}, { box })).skipped, false);
    assert.deepEqual(channels, ["sync_state", "changed_files", "prune"]);
    assert.doesNotMatch(f.stderr(), /could not record/);
    assert.equal((await f.sync()).skipped, true, "the commit in the prune's channel recorded the sync");

    // A commit that cannot write the fingerprint (a directory in the way).
    await Deno.writeTextFile(`${f.repo}/NEW.md`, "new\n");
    const blocker = `${f.box.workRoot}/.crabbox/sync/repo/fingerprint.tmp`;
    await Deno.mkdir(blocker);
    assert.equal((await f.sync()).skipped, false);
    assert.match(
      f.stderr(),
      /^crabbox: warning: could not record the sync on the box \(1\); the next run resyncs$/m,
    );
    await Deno.remove(blocker);
    assert.equal((await f.sync()).skipped, false, "nothing recorded: sent again");
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: a box without content ids gets the transfer beside the comparison, and ids for the next sync", async () => {
  const f = await fixture();
  const tmp = `${f.repo}/..`;
  try {
    // rsync's ssh says it started through a FIFO, and the comparison answers only once it has heard that:
    // a sync that waited for the comparison before the transfer would never get its answer.
    await sh(tmp, "mkfifo rsync-started");
    const announcing = `${tmp}/announcing-ssh`;
    await Deno.writeTextFile(
      announcing,
      `#!/bin/bash\necho started >${tmp}/rsync-started\nexec ${f.box.rsyncShell()} "$@"\n`,
      { mode: 0o755 },
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const box: SyncBox = {
      ...f.box,
      rsyncShell: () => shellJoin([announcing]),
      run: async (remote, stdin) => {
        if (remote.name !== "changed_files") return await f.box.run(remote, stdin);
        const heard = Deno.readTextFile(`${tmp}/rsync-started`);
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("rsync did not start before the comparison answered")),
            10_000,
          );
        });
        await Promise.race([heard, late]);
        return await f.box.run(remote, stdin);
      },
    };
    try {
      assert.equal((await f.sync({}, { box })).skipped, false);
    } finally {
      clearTimeout(timer);
    }
    assert.equal(await Deno.readTextFile(`${f.workdir}/README.md`), "# webapp\ndirty\n");
    assert.match(f.stderr(), /^crabbox: debug: content changed since the last sync: 2 files$/m);
    assert.equal((await f.sync()).skipped, true);

    // The ids were committed: the next change is compared first and only what changed is sent unchecked.
    await sameSizeEdit(`${f.repo}/README.md`, "dirty", "DIRTY");
    assert.equal((await f.sync()).skipped, false);
    assert.match(f.stderr(), /^crabbox: debug: content changed since the last sync: 1 files$/m);
    assert.equal(await Deno.readTextFile(`${f.workdir}/README.md`), "# webapp\nDIRTY\n");
  } finally {
    await f.cleanup();
  }
});

Deno.test("sync step: hydration's first step rides the prune's channel; only a bundle needs its own", async () => {
  const f = await fixture();
  try {
    const channels: string[] = [];
    const box: SyncBox = {
      ...f.box,
      run: (
        remote,
        stdin,
      ) => (channels.push(`${remote.name}:${remote.args.at(-1)}`), f.box.run(remote, stdin)),
    };
    const names = () => channels.splice(0).map((channel) => channel.split(":")[0]);
    // No origin: the box says what it has in the prune's channel, and the bundle follows.
    await f.sync({ hydrate: { origin: null, base: "", branch: "main" } }, { box });
    assert.deepEqual(names(), ["sync_state", "changed_files", "prune", "hydrate"]);
    assert.match(f.stderr(), /\(pruned 0, hydrated [0-9a-f]{12} via bundle\)$/m);
    assert.equal(await gitView(f.workdir), await gitView(f.repo));

    // An origin with HEAD: fetched in the prune's channel, nothing after it.
    const origin = `${f.repo}/../origin.git`;
    await sh(f.repo, `git init -q --bare ${origin} && git push -q ${origin} HEAD:refs/heads/main`);
    await Deno.writeTextFile(`${f.repo}/NEW.md`, "new\n");
    await f.sync({ hydrate: { origin: `file://${origin}`, base: "main", branch: "main" } }, { box });
    assert.deepEqual(names(), ["sync_state", "changed_files", "prune"]);
    assert.match(f.stderr(), /\(pruned 0, hydrated main\)$/m);
    assert.doesNotMatch(f.stderr(), /warning/);
  } finally {
    await f.cleanup();
  }
});
