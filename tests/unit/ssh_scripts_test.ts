/** The remote bookkeeping scripts, run for real with local bash in a temp work root (no ssh needed). */
import assert from "node:assert/strict";
import {
  commitSyncScript,
  execScript,
  pruneScript,
  readExitScript,
  type RemoteScript,
} from "../../ssh/scripts.ts";

async function run(remote: RemoteScript, stdin = "") {
  const child = new Deno.Command("bash", {
    args: ["-c", remote.script, "crabbox-remote", ...remote.args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/** Like the CLI: the channel's stdin stays open while the command runs (EOF would mean "client gone"). */
async function runHeld(remote: RemoteScript) {
  const child = new Deno.Command("bash", {
    args: ["-c", remote.script, "crabbox-remote", ...remote.args],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = await child.status;
  await child.stdin.close().catch(() => {});
  return status.code;
}

Deno.test("prune deletes only what crabbox synced before, and guards against mass deletion", async () => {
  const root = await Deno.makeTempDir({ prefix: "cbx-prune-" });
  const workdir = `${root}/cbx_0123456789ab/repo`;
  await Deno.mkdir(`${workdir}/a/b`, { recursive: true });
  for (const f of ["keep.txt", "a/b/old.txt", "mine.txt"]) await Deno.writeTextFile(`${workdir}/${f}`, "x");
  await Deno.mkdir(`${workdir}/.git`);
  const args = { workRoot: root, repo: "repo", workdir, massDeleteLimit: 200, allowMassDelete: false };
  // First sync: keep.txt and a/b/old.txt were sent (mine.txt was made on the box).
  assert.equal((await run(pruneScript(args), "keep.txt\0a/b/old.txt\0")).stdout.trim(), "PRUNED 0");
  await run(commitSyncScript({ workRoot: root, repo: "repo", fingerprint: "f1", source: "s" }));
  // Second sync: old.txt is gone locally.
  assert.equal((await run(pruneScript(args), "keep.txt\0")).stdout.trim(), "PRUNED 1");
  await run(commitSyncScript({ workRoot: root, repo: "repo", fingerprint: "f2", source: "s" }));
  assert.equal(await Deno.lstat(`${workdir}/a`).catch(() => null), null, "emptied directories are removed");
  assert.ok(await Deno.lstat(`${workdir}/mine.txt`), "a file crabbox never synced stays");
  assert.ok(await Deno.lstat(`${workdir}/.git`));
  // An empty manifest where one existed is refused (exit 66), nothing deleted.
  const mass = await run(pruneScript(args), "");
  assert.equal(mass.code, 66);
  assert.match(mass.stdout, /^MASS 1\nkeep\.txt$/m);
  assert.ok(await Deno.lstat(`${workdir}/keep.txt`));
  assert.equal((await run(pruneScript({ ...args, allowMassDelete: true }), "")).stdout.trim(), "PRUNED 1");
  assert.equal(await Deno.readTextFile(`${root}/.crabbox/sync/repo/fingerprint`), "f2 s\n");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec script: exit codes pass through and are recorded; stdin EOF stops the process group", async () => {
  const root = await Deno.makeTempDir({ prefix: "cbx-exec-" });
  await Deno.mkdir(`${root}/w`);
  for (const code of [0, 1, 42, 255]) {
    const exit = await runHeld(
      execScript({
        workRoot: root,
        workdir: `${root}/w`,
        runId: `run_${code}`,
        argv: ["sh", "-c", `exit ${code}`],
      }),
    );
    assert.equal(exit, code);
    assert.equal(
      (await run(readExitScript({ workRoot: root, runId: `run_${code}` }))).stdout.trim(),
      String(code),
    );
  }
  // The client vanishes once the command runs (its stdin closes): the watchdog stops the whole group.
  const remote = execScript({
    workRoot: root,
    workdir: `${root}/w`,
    runId: "run_lost",
    shell: "echo started; sleep 30 & sleep 31",
  });
  const child = new Deno.Command("bash", {
    args: ["-c", remote.script, "crabbox-remote", ...remote.args],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await reader.read()).value, "started\n");
  await child.stdin.close();
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  assert.equal(status.code, 143);
  const survivors = new TextDecoder().decode(
    (await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output()).stdout,
  );
  assert.doesNotMatch(survivors, /^sleep 3[01]$/m, "no process of the group survived");
  assert.equal((await run(readExitScript({ workRoot: root, runId: "run_lost" }))).stdout.trim(), "lost 143");
  await Deno.remove(root, { recursive: true });
});
