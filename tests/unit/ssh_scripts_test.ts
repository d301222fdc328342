/**
 * The remote scripts run for real: local bash, coreutils, flock and setsid in a temp work root,
 * started exactly as sshd would start them (the login shell runs the command text of remoteBash).
 */
import assert from "node:assert/strict";
import {
  changedFilesScript,
  checkpointFlushScript,
  commitSyncScript,
  doctorProbeScript,
  execScript,
  fullResyncScript,
  hydrateBundleScript,
  hydrateScript,
  killScript,
  listGlobsScript,
  lockScript,
  makeWorkdirScript,
  pondHostsScript,
  preflightScript,
  pruneScript,
  readExitScript,
  readSyncStateScript,
  type RemoteScript,
  renderEnvFile,
} from "../../ssh/scripts.ts";
import { remoteBash } from "../../lease/box.ts";

const decoder = new TextDecoder();

function start(remote: RemoteScript): Deno.ChildProcess {
  return new Deno.Command("bash", {
    args: ["-c", remoteBash(remote.script, remote.args)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs to completion with the given stdin (closed afterwards). */
async function runWith(remote: RemoteScript, stdin = "") {
  const child = start(remote);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Reads stdout until `marker` appears; the rest of the stream stays with the caller. */
async function readUntil(child: Deno.ChildProcess, marker: string): Promise<string> {
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text;
}

async function workRoot(): Promise<{ root: string; workdir: string }> {
  const root = await Deno.makeTempDir({ prefix: "crabbox-scripts-" });
  const workdir = `${root}/cbx_0123456789ab/repo`;
  await Deno.mkdir(workdir, { recursive: true });
  return { root, workdir };
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** Non-zombie members of a process group (ps lists nothing once all have exited). */
async function groupMembers(pgid: number): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=", "-g", String(pgid)],
    stdout: "piped",
  })
    .output();
  return decoder.decode(out.stdout).split("\n").map((l) => l.trim()).filter((l) => l && !/\sZ/.test(l));
}

/** The group gets TERM or KILL in one kill(2); this only waits for the kernel to finish the exits. */
async function expectGroupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  let members = await groupMembers(pgid);
  while (members.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    members = await groupMembers(pgid);
  }
  assert.deepEqual(members, [], `survivors in process group ${pgid}`);
}

/** Keeps the channel's stdin open (as the CLI does) until the script ends on its own. */
async function execHeld(remote: RemoteScript) {
  const child = start(remote);
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("exec: exit codes 0/1/42/255 pass through and land in the exit file", async () => {
  const { root, workdir } = await workRoot();
  for (const code of [0, 1, 42, 255]) {
    const runId = `run_exit${code}`;
    const result = await execHeld(
      execScript({ workRoot: root, workdir, runId, argv: ["bash", "-c", `exit ${code}`] }),
    );
    assert.equal(result.code, code);
    assert.equal(await Deno.readTextFile(`${root}/.crabbox/runs/${runId}.exit`), `${code}\n`);
    assert.equal(await exists(`${root}/.crabbox/runs/${runId}.pid`), false);
    const read = await runWith(readExitScript({ workRoot: root, runId }));
    assert.equal(read.stdout, `${code}\n`);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: argv words arrive verbatim, shell mode runs one string, cwd is the workdir", async () => {
  const { root, workdir } = await workRoot();
  const tricky = ["it's", "$HOME", "a b", "`id`", "*", ""];
  const argv = await execHeld(
    execScript({ workRoot: root, workdir, runId: "run_argv", argv: ["printf", "[%s]", ...tricky] }),
  );
  assert.equal(argv.stdout, tricky.map((w) => `[${w}]`).join(""));
  const shell = await execHeld(
    execScript({ workRoot: root, workdir, runId: "run_shell", shell: "pwd; echo a | tr a b; exit 3" }),
  );
  assert.equal(shell.code, 3);
  assert.equal(shell.stdout, `${await Deno.realPath(workdir)}\nb\n`);
  const missing = await execHeld(
    execScript({ workRoot: root, workdir: `${root}/nope`, runId: "run_missing", argv: ["true"] }),
  );
  assert.equal(missing.code, 97);
  assert.match(missing.stderr, /workdir .*nope is missing/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: the command's stdin is /dev/null, not the channel", async () => {
  const { root, workdir } = await workRoot();
  const child = start(execScript({ workRoot: root, workdir, runId: "run_stdin", shell: "cat; echo done" }));
  // The channel stays open and silent; cat must still see EOF at once.
  const out = await child.output();
  assert.equal(out.code, 0);
  assert.equal(decoder.decode(out.stdout), "done\n");
  await Deno.remove(root, { recursive: true });
});

/** exec with the env file first on its stdin, which then stays open (as the CLI keeps it). */
async function execWithEnv(remote: Omit<RemoteScript, "args"> & { args: string[] }, env: string) {
  const child = start(remote);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(env));
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("env: read from the command channel's stdin into a 0600 file, sourced by exec, deleted afterwards", async () => {
  const { root, workdir } = await workRoot();
  const vars = { CI: "1", NASTY: `it's "$HOME" \`id\` $(id)\nline2\\`, EMPTY: "" };
  const env = renderEnvFile(vars);
  const envFile = `${root}/.crabbox/env/run_env.env`;
  const result = await execWithEnv(
    execScript({
      workRoot: root,
      workdir,
      runId: "run_env",
      envBytes: new TextEncoder().encode(env).length,
      argv: [
        "bash",
        "-c",
        'stat -c %a "$0" "${0%/*}"; printf "%s|%s|%s" "$CI" "$NASTY" "${EMPTY-unset}"',
        envFile,
      ],
    }),
    env,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `600\n700\n1|${vars.NASTY}|`);
  assert.equal(await exists(envFile), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("env: a short env on stdin fails before the command (exit 74), leaving no file", async () => {
  const { root, workdir } = await workRoot();
  const child = start(
    execScript({ workRoot: root, workdir, runId: "run_short", envBytes: 100, argv: ["touch", "ran"] }),
  );
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("export A='1'\n"));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 74);
  assert.match(decoder.decode(out.stderr), /could not write the env file/);
  assert.equal(await exists(`${workdir}/ran`), false);
  assert.equal(await exists(`${root}/.crabbox/env/run_short.env.tmp`), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("env: forwarded names never clobber the exec script's own variables", async () => {
  const { root, workdir } = await workRoot();
  const vars = { run: "x", runs: "/nonexistent", mode: "shell", pid: "1", status: "9", env_file: "/tmp/x" };
  const env = renderEnvFile(vars);
  const result = await execWithEnv(
    execScript({
      workRoot: root,
      workdir,
      runId: "run_names",
      envBytes: env.length,
      argv: ["bash", "-c", 'echo "$mode"; exit 4'],
    }),
    env,
  );
  assert.equal(result.code, 4);
  assert.equal(result.stdout, "shell\n");
  assert.equal(await Deno.readTextFile(`${root}/.crabbox/runs/run_names.exit`), "4\n");
  assert.equal(await exists(`${root}/.crabbox/env/run_names.env`), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: closing the channel's stdin stops the whole process group", async () => {
  const { root, workdir } = await workRoot();
  const runId = "run_gone";
  const child = start(
    execScript({ workRoot: root, workdir, runId, shell: "sleep 300 & sleep 301 & echo started; wait" }),
  );
  assert.match(await readUntil(child, "started"), /started/);
  const pgid = Number(await Deno.readTextFile(`${root}/.crabbox/runs/${runId}.pid`));
  assert.ok(pgid > 1);
  assert.equal((await groupMembers(pgid)).length >= 3, true, "bash and both sleeps share the group");
  const running = await runWith(readExitScript({ workRoot: root, runId }));
  assert.equal(running.stdout, "running\n");
  await child.stdin.close(); // the client is gone
  const status = await child.status;
  assert.equal(status.code, 143);
  await expectGroupGone(pgid);
  assert.equal(await Deno.readTextFile(`${root}/.crabbox/runs/${runId}.exit`), "143\n");
  // A later reconnect learns that the watchdog, not the command, ended the run.
  assert.equal((await runWith(readExitScript({ workRoot: root, runId }))).stdout, "lost 143\n");
  await child.stdout.cancel();
  await child.stderr.cancel();
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a group that ignores TERM is killed 10 s after the client left", async () => {
  const { root, workdir } = await workRoot();
  const runId = "run_stubborn";
  const child = start(
    execScript({ workRoot: root, workdir, runId, shell: "trap '' TERM; sleep 300 & echo started; wait" }),
  );
  await readUntil(child, "started");
  const pgid = Number(await Deno.readTextFile(`${root}/.crabbox/runs/${runId}.pid`));
  const closedAt = Date.now();
  await child.stdin.close();
  const status = await child.status;
  assert.equal(status.code, 137);
  assert.ok(Date.now() - closedAt >= 9_500, "KILL comes after the 10 s grace");
  await expectGroupGone(pgid);
  await child.stdout.cancel();
  await child.stderr.cancel();
  await Deno.remove(root, { recursive: true });
});

Deno.test("kill: a second channel signals the group; the status is 128+sig", async () => {
  const { root, workdir } = await workRoot();
  const runId = "run_kill";
  const child = start(
    execScript({ workRoot: root, workdir, runId, argv: ["bash", "-c", "echo started; sleep 300"] }),
  );
  await readUntil(child, "started");
  const pgid = Number(await Deno.readTextFile(`${root}/.crabbox/runs/${runId}.pid`));
  const kill = await runWith(killScript({ workRoot: root, runId, signal: "TERM" }));
  assert.equal(kill.code, 0);
  assert.equal((await child.status).code, 143);
  await expectGroupGone(pgid);
  await child.stdin.close();
  await child.stdout.cancel();
  await child.stderr.cancel();
  assert.equal((await runWith(readExitScript({ workRoot: root, runId }))).stdout, "143\n");
  // Unknown runs: kill is a no-op, read-exit says dead.
  assert.equal((await runWith(killScript({ workRoot: root, runId: "run_none", signal: "KILL" }))).code, 0);
  assert.equal((await runWith(readExitScript({ workRoot: root, runId: "run_none" }))).stdout, "dead\n");
  await Deno.remove(root, { recursive: true });
});

Deno.test("lock: exclusive, BUSY names the holder with exit 75, released on stdin EOF", async () => {
  const { root } = await workRoot();
  const owner = JSON.stringify({
    runId: "run_a",
    owner: "alice",
    host: "laptop",
    pid: 1,
    since: "2026-01-01T00:00:00Z",
  });
  const first = start(lockScript({ workRoot: root, ownerJson: owner }));
  assert.equal(await readUntil(first, "LOCKED\n"), "LOCKED\n");
  assert.equal(await Deno.readTextFile(`${root}/.crabbox/lock.owner`), `${owner}\n`);

  const second = start(lockScript({ workRoot: root, ownerJson: "{}" }));
  const busy = await second.output(); // exits at once, without waiting for its stdin
  assert.equal(busy.code, 75);
  assert.equal(decoder.decode(busy.stdout), `BUSY ${owner}\n`);
  assert.equal(await Deno.readTextFile(`${root}/.crabbox/lock.owner`), `${owner}\n`);

  await first.stdin.close();
  assert.equal((await first.status).code, 0);
  await first.stdout.cancel();
  await first.stderr.cancel();
  assert.equal(await exists(`${root}/.crabbox/lock.owner`), false);

  const third = await runWith(lockScript({ workRoot: root, ownerJson: '{"runId":"run_c"}' }));
  assert.equal(third.stdout, "LOCKED\n");
  assert.equal(third.code, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("lock: with a repo, the sync state follows LOCKED, ended by END", async () => {
  const { root } = await workRoot();
  const plain = await runWith(lockScript({ workRoot: root, ownerJson: "{}", syncStateOf: "repo" }));
  assert.equal(plain.stdout, "LOCKED\nrecords none\nEND\n", "a box that never got this repo");
  await Deno.mkdir(`${root}/.crabbox/sync/repo`, { recursive: true });
  await Deno.writeTextFile(`${root}/.crabbox/sync/repo/fingerprint`, "fp1 src\n");
  await Deno.writeTextFile(`${root}/.crabbox/sync/repo/hydrated`, "abc123");
  const unrecorded = await runWith(lockScript({ workRoot: root, ownerJson: "{}", syncStateOf: "repo" }));
  assert.equal(unrecorded.stdout, "LOCKED\nfp1 src\nhydrated abc123\nrecords none\nEND\n");
  await Deno.writeTextFile(`${root}/.crabbox/sync/repo/ids`, "");
  const state = await runWith(lockScript({ workRoot: root, ownerJson: "{}", syncStateOf: "repo" }));
  assert.equal(state.stdout, "LOCKED\nfp1 src\nhydrated abc123\nEND\n");
  const alone = await runWith(readSyncStateScript({ workRoot: root, repo: "repo" }));
  assert.equal(state.stdout, `LOCKED\n${alone.stdout}END\n`, "the same state as the script alone");
  await Deno.remove(root, { recursive: true });
});

Deno.test("lock: taking it removes env files older than a day", async () => {
  const { root } = await workRoot();
  await Deno.mkdir(`${root}/.crabbox/env`, { recursive: true });
  await Deno.writeTextFile(`${root}/.crabbox/env/old.env`, "export A='1'\n");
  await Deno.writeTextFile(`${root}/.crabbox/env/new.env`, "export A='1'\n");
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
  await Deno.utime(`${root}/.crabbox/env/old.env`, twoDaysAgo, twoDaysAgo);
  assert.equal((await runWith(lockScript({ workRoot: root, ownerJson: "{}" }))).stdout, "LOCKED\n");
  assert.equal(await exists(`${root}/.crabbox/env/old.env`), false);
  assert.equal(await exists(`${root}/.crabbox/env/new.env`), true);
  await Deno.remove(root, { recursive: true });
});

Deno.test("renderEnvFile: export lines with single quotes escaped", () => {
  assert.equal(
    renderEnvFile({ CI: "true", Q: "it's" }),
    "export CI='true'\nexport Q='it'\\''s'\n",
  );
});

Deno.test("hydrate: NEED names the box's HEAD; a bundle checks out the branch; marks cleared on failure", async () => {
  const { root, workdir } = await workRoot();
  const local = `${root}/local`;
  const git = (cwd: string, ...args: string[]) =>
    new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
  await Deno.mkdir(local);
  await git(local, "init", "-q", "-b", "main");
  await git(local, "commit", "-q", "--allow-empty", "-m", "one");
  const head = decoder.decode((await git(local, "rev-parse", "HEAD")).stdout).trim();
  const mark = `${root}/.crabbox/sync/repo/hydrated`;
  const where = { workRoot: root, repo: "repo", workdir, head };

  const need = await runWith(hydrateScript({ ...where, origin: "", base: "", branch: "main" }));
  assert.deepEqual([need.code, need.stdout], [0, "NEED none\n"]);
  const bundle = (await git(local, "bundle", "create", "-q", "-", "HEAD")).stdout;
  const apply = async (branch: string) => {
    const child = start(hydrateBundleScript({ ...where, branch }));
    const writer = child.stdin.getWriter();
    await writer.write(bundle);
    await writer.close();
    const out = await child.output();
    return decoder.decode(out.stdout);
  };
  assert.equal(await apply("main"), "HYDRATED\n");
  assert.equal((await Deno.readTextFile(mark)).trim(), head);
  const boxHead = async () =>
    decoder.decode((await git(workdir, "symbolic-ref", "-q", "HEAD")).stdout).trim();
  assert.equal(await boxHead(), "refs/heads/main");

  // A name is only ever data: valid ones (shell characters and all) become the branch, others detach.
  assert.equal(await apply("x;touch${IFS}pwned"), "HYDRATED\n");
  assert.equal(await boxHead(), "refs/heads/x;touch${IFS}pwned");
  assert.equal(await exists(`${workdir}/pwned`), false);
  assert.equal(await apply("bad..name"), "HYDRATED\n");
  assert.equal(await boxHead(), "", "detached");

  // The commit is there now (no NEED); a failing git names its error and clears the mark.
  await Deno.writeTextFile(`${workdir}/.git/HEAD`, "garbage\n");
  const failed = await runWith(hydrateScript({ ...where, origin: "", base: "", branch: "main" }));
  assert.match(failed.stdout, /^FAIL .+/);
  assert.equal(await exists(mark), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("preflight: names exactly the tools a login shell cannot find, from the workdir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cbx-preflight-" });
  try {
    const rows: [string[], string][] = [
      [["bash", "sh"], ""],
      [
        ["bash", "crabbox-no-such-tool-1", "sh", "crabbox-no-such-tool-2"],
        "crabbox-no-such-tool-1\ncrabbox-no-such-tool-2\n",
      ],
      [["crabbox-no-such-tool-1"], "crabbox-no-such-tool-1\n"],
    ];
    for (const [tools, missing] of rows) {
      const result = await runWith(preflightScript({ workdir: dir, tools }));
      assert.deepEqual([result.code, result.stdout], [0, missing], tools.join(" "));
    }
    const gone = await runWith(preflightScript({ workdir: `${dir}/absent`, tools: ["sh"] }));
    assert.deepEqual([gone.code, gone.stdout], [0, ""]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every ssh/scripts/*.sh is one builder's script, sent as the file says", async () => {
  const at = { workRoot: "/w", workdir: "/w/d", runId: "r", repo: "p", leaseId: "l", head: "h", branch: "b" };
  const built = [
    changedFilesScript(at),
    checkpointFlushScript(at),
    commitSyncScript({ ...at, fingerprint: "f", source: "s" }),
    doctorProbeScript(at),
    execScript(at),
    fullResyncScript(at),
    hydrateScript({ ...at, origin: "", base: "" }),
    hydrateBundleScript(at),
    killScript({ ...at, signal: "TERM" }),
    listGlobsScript({ ...at, globs: [] }),
    lockScript({ ...at, ownerJson: "{}" }),
    makeWorkdirScript(at),
    pondHostsScript({ block: "" }),
    preflightScript({ ...at, tools: [] }),
    pruneScript({ ...at, massDeleteLimit: 1, allowMassDelete: false }),
    readExitScript(at),
    readSyncStateScript(at),
  ];
  const dir = new URL("../../ssh/scripts/", import.meta.url);
  const files = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  assert.deepEqual(files, [...new Set(built.map((remote) => `${remote.name}.sh`))].sort());
  for (const remote of built) {
    assert.equal(remote.script, await Deno.readTextFile(new URL(`${remote.name}.sh`, dir)), remote.name);
  }
});

Deno.test("list globs: NUL pairs of regular files (dotfiles, **), never links or directories", async () => {
  const { root, workdir } = await workRoot();
  await Deno.mkdir(`${workdir}/out/deep`, { recursive: true });
  await Deno.writeTextFile(`${workdir}/out/a.txt`, "abc");
  await Deno.writeTextFile(`${workdir}/out/deep/.b.txt`, "hello");
  await Deno.writeTextFile(`${workdir}/out/with space.txt`, "");
  await Deno.symlink(`${workdir}/out/a.txt`, `${workdir}/out/link.txt`);
  const listed = await runWith(listGlobsScript({ workdir, globs: ["out/**/*.txt", "out/deep"] }));
  assert.equal(listed.code, 0, listed.stderr);
  const parts = listed.stdout.split("\0").slice(0, -1);
  assert.deepEqual(parts, ["out/a.txt", "3", "out/deep/.b.txt", "5", "out/with space.txt", "0"]);
  const missing = await runWith(listGlobsScript({ workdir: `${root}/absent`, globs: ["*"] }));
  assert.deepEqual([missing.code, missing.stdout], [0, ""]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("doctor probe: key=value lines for user, work root and readiness; make_workdir creates it", async () => {
  const { root, workdir } = await workRoot();
  const fresh = `${workdir}/new/dir`;
  assert.equal((await runWith(makeWorkdirScript({ workdir: fresh }))).code, 0);
  assert.equal(await exists(fresh), true);
  const probe = await runWith(doctorProbeScript({ workRoot: root }));
  assert.equal(probe.code, 0, probe.stderr);
  assert.match(probe.stdout, /^user=\S+$/m);
  assert.match(probe.stdout, /^workroot=writable$/m);
  assert.match(probe.stdout, /^disk_free_kb=\d+$/m);
  assert.match(probe.stdout, /^ready=(yes|no|missing)$/m);
  const absent = await runWith(doctorProbeScript({ workRoot: `${root}/absent` }));
  assert.match(absent.stdout, /^workroot=missing$/m);
  await Deno.remove(root, { recursive: true });
});

Deno.test("checkpoint flush: forwarded env files are gone and the disk synced before a snapshot", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/.crabbox/env`, { recursive: true });
    await Deno.writeTextFile(`${root}/.crabbox/env/run_1.env`, "SECRET=x\n");
    await Deno.mkdir(`${root}/cbx_aaaaaaaaaaaa/webapp`, { recursive: true });
    const result = await runWith(checkpointFlushScript({ workRoot: root }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "FLUSHED\n");
    assert.equal(await Deno.stat(`${root}/.crabbox/env`).catch(() => null), null);
    assert.ok((await Deno.stat(`${root}/cbx_aaaaaaaaaaaa/webapp`)).isDirectory, "the workdir stays");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
