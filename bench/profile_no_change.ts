/**
 * Where a no-change `run --id X -- true` spends its time (issue 10, P2): leases a tiny box on the harness,
 * syncs the repo given as the argument once, then runs it again under `--cpu-prof` (profile in the
 * directory given second) and prints the wall times of the plain runs and of `git status`. Needs root.
 * `deno run --allow-all bench/profile_no_change.ts REPO PROFILE_DIR`
 */
import { startHarness } from "../tests/harness/harness.ts";
import { MAIN, PERMISSIONS, sandbox } from "../tests/e2e/_cli.ts";

const [repo, profileDir] = Deno.args;
const harness = await startHarness();
const box = await sandbox(harness);
const timed = async (what: string, args: string[], extra: string[] = []) => {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...extra, ...PERMISSIONS, MAIN, ...args],
    cwd: repo,
    env: box.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${what}: ${stderr}`);
  console.log(`${what}: ${ms.toFixed(0)} ms; ${stderr.trim().split("\n").at(-1)}`);
  return new TextDecoder().decode(out.stdout);
};
try {
  const warm = await box.crabbox(["warmup", "--class", "tiny"]);
  const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
  await timed("first sync", ["run", "--id", lease, "--", "true"]);
  for (let i = 0; i < 3; i++) await timed("no change", ["run", "--id", lease, "--", "true"]);
  await timed("no change, profiled", ["run", "--id", lease, "--", "true"], [
    "--cpu-prof",
    `--cpu-prof-dir=${profileDir}`,
  ]);
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await new Deno.Command("git", { args: ["status", "--porcelain"], cwd: repo, stdout: "null" }).output();
    console.log(`git status: ${(performance.now() - started).toFixed(0)} ms`);
  }
  await box.crabbox(["stop", lease]);
} finally {
  await box.cleanup();
  await harness.stop();
}
