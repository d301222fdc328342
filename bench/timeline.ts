/**
 * Where a warm `run --id X -- true` spends its time, line by line: leases a tiny box on the harness, runs
 * once in the repo given (default: the sandbox's sample repo) to sync it, twice more to settle the
 * manifest memo, then once under --debug, printing every stderr line with the ms since the start.
 * `deno run --allow-all bench/timeline.ts [REPO]`. Needs root. Printed, never asserted.
 */
import { startHarness } from "../tests/harness/harness.ts";
import { MAIN, PERMISSIONS, sandbox } from "../tests/e2e/_cli.ts";

const harness = await startHarness();
const box = await sandbox(harness);
const repo = Deno.args[0] ?? box.repo;
try {
  const warm = await box.crabbox(["warmup", "--class", "tiny"]);
  const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
  for (let i = 0; i < 3; i++) await box.crabbox(["run", "--id", lease, "--", "true"], { cwd: repo });
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the memo's racy window
  await box.crabbox(["run", "--id", lease, "--", "true"], { cwd: repo });
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMISSIONS, MAIN, "run", "--debug", "--id", lease, "--", "true"],
    cwd: repo,
    env: box.env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let pending = "";
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    const at = (performance.now() - started).toFixed(0).padStart(5);
    for (const line of lines) console.log(`${at} ms  ${line.slice(0, 150)}`);
  }
  await child.status;
  console.log(`${(performance.now() - started).toFixed(0).padStart(5)} ms  exit`);
  await box.crabbox(["stop", lease]);
} finally {
  await box.cleanup();
  await harness.stop();
}
