/**
 * Timing goal (printed, never asserted): a run whose tree did not change should cost a fraction of one
 * that syncs. Runs against the local harness; needs root. `deno task bench`
 */
import { startHarness } from "../tests/harness/harness.ts";
import { git, sandbox } from "../tests/e2e/_cli.ts";

const harness = await startHarness();
const box = await sandbox(harness);
try {
  for (let i = 0; i < 400; i++) {
    await Deno.mkdir(`${box.repo}/pkg${i % 20}`, { recursive: true });
    await Deno.writeTextFile(`${box.repo}/pkg${i % 20}/file${i}.txt`, `content ${i}\n`.repeat(50));
  }
  await git(box.repo, "add", ".");
  await git(box.repo, "commit", "-qm", "bench tree");
  const warm = await box.crabbox(["warmup", "--class", "tiny"]);
  const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
  const time = async (args: string[]) => {
    const started = performance.now();
    const result = await box.crabbox(args);
    if (result.code !== 0) throw new Error(result.stderr);
    return performance.now() - started;
  };
  const full = await time(["run", "--id", lease, "--full-resync", "--", "true"]);
  const skipped = await time(["run", "--id", lease, "--", "true"]);
  const noSync = await time(["run", "--id", lease, "--no-sync", "--", "true"]);
  console.log(`full sync run:      ${full.toFixed(0)} ms`);
  console.log(
    `unchanged-tree run: ${skipped.toFixed(0)} ms (ratio ${
      (skipped / full).toFixed(2)
    } of full; goal < 0.80)`,
  );
  console.log(`--no-sync run:      ${noSync.toFixed(0)} ms (ratio ${(noSync / full).toFixed(2)} of full)`);
  await box.crabbox(["stop", lease]);
} finally {
  await box.cleanup();
  await harness.stop();
}
