/**
 * Sync and SSH on real boxes: what is sent, what is pruned, the fingerprint skip, remote git,
 * exit-code ambiguity, dropped connections, Ctrl-C cleanup and env forwarding without leaks.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startHarness } from "../harness/harness.ts";
import { type CliResult, git, type Sandbox, sandbox } from "./_cli.ts";
import { RACY_MS } from "../../sync/manifest_memo.ts";

const CANARY = "forwarded-canary-7f3e9a";

Deno.test("sync, remote git, exit codes, drops, Ctrl-C and env forwarding", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  try {
    // A project with tracked build output, secrets that must stay home, and a bare origin the box can read.
    const repo = box.repo;
    for (
      const [path, text] of Object.entries({
        "dist/schema.json": "{}\n",
        "target/keep.txt": "t\n",
        "coverage/summary.txt": "c\n",
        "gone.txt": "bye\n",
      })
    ) {
      await Deno.mkdir(`${repo}/${path.split("/").slice(0, -1).join("/") || "."}`, { recursive: true });
      await Deno.writeTextFile(`${repo}/${path}`, text);
    }
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "build output");
    await Deno.writeTextFile(`${repo}/.env`, "TOKEN=local-only\n");
    await Deno.mkdir(`${repo}/secrets`);
    await Deno.writeTextFile(`${repo}/secrets/key.txt`, "s\n");
    await Deno.chmod(box.home, 0o755);
    const origin = `${box.home}/webapp.git`;
    await git(box.home, "init", "-q", "--bare", origin);
    await git(repo, "remote", "add", "origin", origin);
    await git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
    await git(repo, "fetch", "-q", "origin");
    await git(repo, "remote", "set-head", "origin", "main");
    // The box's user (uid 1500) fetches from it; git refuses repositories owned by someone else.
    await new Deno.Command("chown", { args: ["-R", "1500:1500", origin] }).output();

    const warm = await box.crabbox(["warmup", "--class", "tiny"]);
    assert.equal(warm.code, 0, warm.stderr);
    const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
    const server = () => [...fake.servers.values()].find((s) => s.labels.lease === lease)!;
    const remote = (path: string) => `${server().box!.dir}/work/crabbox/${lease}/webapp/${path}`;
    /** `run --id` of a shell line on the kept box, without a sync. */
    const unsynced = (script: string) => ["run", "--id", lease, "--no-sync", "--", "sh", "-c", script];
    const exists = async (path: string) => !!(await Deno.lstat(remote(path)).catch(() => null));

    await t.step("tracked build output syncs; .env and secrets/ never leave the machine", async () => {
      const result = await box.crabbox(["run", "--id", lease, "--", "true"]);
      assert.equal(result.code, 0, result.stderr);
      for (const path of ["dist/schema.json", "target/keep.txt", "coverage/summary.txt", "src/app.js"]) {
        assert.ok(await exists(path), `${path} was synced`);
      }
      assert.equal(await exists(".env"), false);
      assert.equal(await exists("secrets/key.txt"), false);
    });

    await t.step("remote git is at the local HEAD and shows the same changes", async () => {
      const head = (await git(repo, "rev-parse", "HEAD")).trim();
      const result = await box.crabbox([
        "run",
        "--id",
        lease,
        "--",
        "sh",
        "-c",
        "git rev-parse HEAD; git status --porcelain; git rev-parse origin/main",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const [remoteHead, ...rest] = result.stdout.trim().split("\n");
      assert.equal(remoteHead, head);
      const localStatus = (await git(repo, "status", "--porcelain")).trim().split("\n").filter((l) =>
        !/\.env|secrets\//.test(l)
      );
      assert.deepEqual(rest.slice(0, -1), localStatus);
      assert.equal(rest.at(-1), head, "the base ref origin/main was fetched");
    });

    await t.step("an unchanged tree skips rsync; the box's files keep their mtimes", async () => {
      const before = (await Deno.stat(remote("src/app.js"))).mtime!.getTime();
      const result = await box.crabbox(["run", "--id", lease, "--", "true"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^crabbox: sync skipped: no changes \(fingerprint [0-9a-f]{8}\)$/m);
      assert.doesNotMatch(result.stderr, /^crabbox: sync \d/m);
      assert.equal((await Deno.stat(remote("src/app.js"))).mtime!.getTime(), before);
    });

    await t.step(
      "a local deletion is pruned on the box; files crabbox never synced are left alone",
      async () => {
        const made = await box.crabbox([
          "run",
          "--id",
          lease,
          "--",
          "sh",
          "-c",
          "echo built > made-on-box.txt",
        ]);
        assert.equal(made.code, 0, made.stderr);
        await Deno.remove(`${repo}/gone.txt`);
        const result = await box.crabbox(["run", "--id", lease, "--", "true"]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /sync complete in \S+ \(pruned 1, hydrated main\)/);
        assert.equal(await exists("gone.txt"), false);
        assert.equal(await exists("made-on-box.txt"), true);
      },
    );

    await t.step("a command's own 255 (or 74, 97) is reported as such and runs once", async () => {
      const result = await box.crabbox(unsynced("echo x >> runs.txt; exit 255"));
      assert.equal(result.code, 255, result.stderr);
      assert.equal(await Deno.readTextFile(remote("runs.txt")), "x\n");
      // 74 and 97 are also the exec script's own failures: a command's own still passes through.
      for (const code of [74, 97]) {
        const own = await box.crabbox(unsynced(`exit ${code}`));
        assert.equal(own.code, code, own.stderr);
      }
    });

    await t.step("a dropped connection is a transport failure (exit 7), never a re-run", async () => {
      const running = box.spawn(unsynced("echo x >> drops.txt; echo started; sleep 30"));
      await running.waitForStdout("started");
      await server().box!.dropConnections();
      const result = await running.done;
      assert.equal(result.code, 7, result.stderr);
      assert.match(result.stderr, /^crabbox: error: ssh connection lost/m);
      assert.equal(await Deno.readTextFile(remote("drops.txt")), "x\n");
    });

    await t.step("after Ctrl-C no process of the command survives on the box", async () => {
      const running = box.spawn(unsynced("echo started; sleep 300 & sleep 301"));
      await running.waitForStdout("started");
      running.child.kill("SIGINT");
      const result = await running.done;
      assert.equal(result.code, 130, result.stderr);
      const ps = await server().box!.exec(["ps", "-eo", "args"]);
      assert.equal(ps.code, 0, ps.stderr);
      assert.doesNotMatch(ps.stdout, /sleep 30[01]/);
    });

    await t.step(
      "forwarded values travel on stdin: never in ps (box or local) nor in any output",
      async () => {
        // The command checks the value by its hash, so the value itself is on no command line of ours.
        const digest = createHash("sha256").update(CANARY).digest("hex");
        const command =
          `[ "$(printf %s "$MY_VALUE" | sha256sum | cut -c1-64)" = ${digest} ] || exit 3; ps -eo args > ps.txt; echo started; sleep 2`;
        const running = box.spawn(
          ["run", "--id", lease, "--no-sync", "--allow-env", "MY_VALUE", "--", "sh", "-c", command],
          { env: { MY_VALUE: CANARY } },
        );
        await running.waitForStdout("started");
        const localPs = new TextDecoder().decode(
          (await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output()).stdout,
        );
        const result = await running.done;
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /^crabbox: env forwarded MY_VALUE=set$/m);
        assert.ok(!localPs.includes(CANARY), "the value appeared in a local command line");
        assert.ok(
          !(await Deno.readTextFile(remote("ps.txt"))).includes(CANARY),
          "the value appeared in a box command line",
        );
        assert.ok(!result.stdout.includes(CANARY) && !result.stderr.includes(CANARY));
        const leftovers = await server().box!.exec([
          "sh",
          "-c",
          "ls /work/crabbox/.crabbox/env/ 2>/dev/null | wc -l",
        ]);
        assert.equal(leftovers.stdout.trim(), "0", "the env file is deleted after the command");
      },
    );

    assert.equal((await box.crabbox(["stop", lease])).code, 0);
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});

/** `crabbox run` that must finish within the deadline; killed (and the test failed) if it hangs. */
async function runWithin(box: Sandbox, args: string[], ms: number): Promise<CliResult> {
  const running = box.spawn(args);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), ms)));
  const outcome = await Promise.race([running.done, deadline]);
  clearTimeout(timer);
  if (outcome === "hung") {
    running.child.kill("SIGKILL");
    const late = await running.done;
    throw new Error(`crabbox ${args.join(" ")} hung for ${ms} ms:\n${late.stderr}`);
  }
  return outcome;
}

Deno.test("non-regular files (FIFO, socket) are skipped with one warning before leasing, never opened", async () => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  try {
    const repo = box.repo;
    // git lists a tracked path that became a FIFO or a socket; reading either would block or fail.
    for (const path of ["pipe.txt", "sock"]) await Deno.writeTextFile(`${repo}/${path}`, "was a file\n");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "files that become special");
    for (const path of ["pipe.txt", "sock"]) await Deno.remove(`${repo}/${path}`);
    await new Deno.Command("mkfifo", { args: [`${repo}/pipe.txt`] }).output();
    const listener = Deno.listen({ transport: "unix", path: `${repo}/sock` });
    try {
      const plan = await runWithin(box, ["sync-plan"], 20_000);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(
        plan.stdout,
        /^skipped: 2 non-regular files \(never synced\): pipe\.txt \(fifo\), sock \(socket\)$/m,
      );

      const result = await runWithin(box, ["run", "--class", "tiny", "--", "sh", "-c", "ls"], 20_000);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stderr.split("\n");
      const warning = lines.findIndex((l) =>
        l === "crabbox: warning: skipping 2 non-regular files (never synced): pipe.txt (fifo), sock (socket)"
      );
      const leased = lines.findIndex((l) => l.startsWith("crabbox: lease "));
      assert.ok(warning >= 0 && warning < leased, `one warning before leasing:\n${result.stderr}`);
      assert.equal(lines.filter((l) => l.includes("non-regular")).length, 1);
      assert.deepEqual(result.stdout.trim().split("\n").sort(), ["README.md", "src"]);
      assert.deepEqual({ servers: harness.fake.servers.size, keys: harness.fake.keys.size }, {
        servers: 0,
        keys: 0,
      });
    } finally {
      listener.close();
    }
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});

Deno.test("a same-size edit with a preserved mtime reaches the box, dirty, committed or memoised", async () => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  let stopLater = "";
  try {
    const repo = box.repo;
    const warm = await box.crabbox(["warmup", "--class", "tiny"]);
    assert.equal(warm.code, 0, warm.stderr);
    const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
    stopLater = lease;
    const first = await box.crabbox(["run", "--id", lease, "--", "true"]);
    assert.equal(first.code, 0, first.stderr);

    // Same length, new bytes, old mtime: rsync's size+mtime quick check alone would skip both.
    const sameSizeEdit = async (path: string, from: string, to: string) => {
      const { mtime } = await Deno.stat(`${repo}/${path}`);
      const text = await Deno.readTextFile(`${repo}/${path}`);
      assert.equal(from.length, to.length);
      await Deno.writeTextFile(`${repo}/${path}`, text.replace(from, to));
      await Deno.utime(`${repo}/${path}`, mtime!, mtime!);
    };
    await sameSizeEdit("README.md", "dirty", "DIRTY"); // stays a dirty file
    await sameSizeEdit("src/app.js", "hello", "HELLO");
    await git(repo, "commit", "-qam", "same size"); // src/app.js is clean again, README.md too
    await sameSizeEdit("README.md", "DIRTY", "dirt!"); // and dirty once more
    const result = await box.crabbox(["run", "--id", lease, "--", "cat", "README.md", "src/app.js"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "# webapp\ndirt!\nconsole.log('HELLO');\n");

    const again = await box.crabbox(["run", "--id", lease, "--", "true"]);
    assert.match(again.stderr, /^crabbox: sync skipped: no changes/m);

    // The manifest memo: only files settled for RACY_MS are memoised, so that much time must pass (the
    // rule under test, not a synchronisation). Then a no-change run is answered from the memo, and an
    // in-place same-size edit of an untracked file (git status and the index say nothing new) that
    // keeps the mtime still misses it and reaches the box.
    await Deno.writeTextFile(`${repo}/notes.txt`, "draft 1\n");
    const { ctime } = await Deno.lstat(`${repo}/notes.txt`);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, ctime!.getTime() + RACY_MS + 1_000 - Date.now()))
    );
    const memoised = await box.crabbox(["run", "--id", lease, "--", "true"]); // syncs notes.txt, writes the memo
    assert.equal(memoised.code, 0, memoised.stderr);
    const hit = await box.crabbox(["run", "--debug", "--id", lease, "--", "true"]);
    assert.match(hit.stderr, /manifest: from the memo/);
    assert.match(hit.stderr, /^crabbox: sync skipped: no changes/m);
    await sameSizeEdit("notes.txt", "draft 1", "draft 2");
    const missed = await box.crabbox(["run", "--debug", "--id", lease, "--", "cat", "notes.txt"]);
    assert.match(missed.stderr, /manifest: built from git/);
    assert.equal(missed.stdout, "draft 2\n");
    assert.equal((await box.crabbox(["stop", lease])).code, 0);
    stopLater = "";
    assert.deepEqual(harness.violations(), []);
  } finally {
    if (stopLater) await box.crabbox(["stop", "--force", stopLater]);
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});

Deno.test("no origin: git on the box equals local git; a failed hydration is retried and says why", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  let stopLater = "";
  const fake = harness.fake;
  try {
    const repo = box.repo;
    const gitView = "git status --short; git log -1 --format='%H %s'";
    const local = async () =>
      (await git(repo, "status", "--short")) + (await git(repo, "log", "-1", "--format=%H %s"));
    const warm = await box.crabbox(["warmup", "--class", "tiny"]);
    assert.equal(warm.code, 0, warm.stderr);
    const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
    stopLater = lease;
    const workdir = () =>
      `${
        [...fake.servers.values()].find((s) => s.labels.lease === lease)!.box!.dir
      }/work/crabbox/${lease}/webapp`;
    const head = async () => (await git(repo, "rev-parse", "HEAD")).trim();

    await t.step("first run: the whole history arrives in a bundle", async () => {
      const result = await box.crabbox(["run", "--id", lease, "--", "sh", "-c", gitView]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, await local());
      assert.match(result.stderr, new RegExp(`hydrated ${(await head()).slice(0, 12)} via bundle\\)$`, "m"));
      assert.doesNotMatch(result.stderr, /warning/);
    });

    await t.step("a new commit: only what the box lacks is bundled", async () => {
      await Deno.writeTextFile(`${repo}/NEW.md`, "new\n");
      await git(repo, "add", "NEW.md");
      await git(repo, "commit", "-qm", "second");
      const result = await box.crabbox(["--debug", "run", "--id", lease, "--", "sh", "-c", gitView]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, await local());
      assert.match(result.stderr, /^crabbox: debug: hydrate bundle .* incremental from [0-9a-f]{12}$/m);
    });

    await t.step(
      "an origin with credentials, or one the box cannot reach: the commit still arrives",
      async () => {
        const token = "ghp_e2eCanaryCredential0123456789";
        await git(
          repo,
          "remote",
          "add",
          "origin",
          `https://x-access-token:${token}@github.invalid/o/webapp.git`,
        );
        await git(repo, "commit", "-q", "--allow-empty", "-m", "with a credentialed origin");
        const credentialed = await box.crabbox(["run", "--id", lease, "--", "sh", "-c", gitView]);
        assert.equal(credentialed.code, 0, credentialed.stderr);
        assert.equal(credentialed.stdout, await local());
        const config = await Deno.readTextFile(`${workdir()}/.git/config`);
        assert.ok(
          !config.includes(token) && !config.includes("github.invalid"),
          "nothing of it reached the box",
        );

        await git(repo, "remote", "set-url", "origin", "http://127.0.0.1:9/o/webapp.git"); // refused on the box
        await git(repo, "commit", "-q", "--allow-empty", "-m", "with an unreachable origin");
        const unreachable = await box.crabbox(["run", "--id", lease, "--", "sh", "-c", gitView]);
        assert.equal(unreachable.code, 0, unreachable.stderr);
        assert.equal(unreachable.stdout, await local());
        assert.match(unreachable.stderr, /hydrated [0-9a-f]{12} via bundle\)$/m);
        await git(repo, "remote", "remove", "origin");
      },
    );

    await t.step("a failed hydration names the git error and is retried on an unchanged tree", async () => {
      await git(repo, "commit", "-q", "--allow-empty", "-m", "third");
      // The box can no longer store packs (a file where the directory was).
      const pack = `${workdir()}/.git/objects/pack`;
      await Deno.rename(pack, `${pack}.off`);
      await Deno.writeTextFile(pack, "");
      try {
        const failed = await box.crabbox(["run", "--id", lease, "--", "true"]);
        assert.equal(failed.code, 0, failed.stderr);
        assert.match(failed.stderr, /^crabbox: warning: hydrate skipped: .*Not a directory/m);
        assert.match(failed.stderr, /\(pruned 0, hydrate failed\)$/m);
        assert.doesNotMatch(failed.stderr, /hydrated /);
      } finally {
        await Deno.remove(pack);
        await Deno.rename(`${pack}.off`, pack);
      }
      const retried = await box.crabbox(["run", "--id", lease, "--", "sh", "-c", gitView]);
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stderr, /^crabbox: sync skipped: no changes/m);
      assert.equal(retried.stdout, await local());
    });

    assert.equal((await box.crabbox(["stop", lease])).code, 0);
    stopLater = "";
    assert.deepEqual(harness.violations(), []);
  } finally {
    if (stopLater) await box.crabbox(["stop", "--force", stopLater]);
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
