/**
 * P3 of issue 10: what each rsync compression choice costs on the first full sync of a tree, to the same
 * harness box over the same pinned ssh: wall time, CPU (rsync and ssh, user + system) and the bytes
 * rsync sent. The harness box is on this machine, so the time a slow link would save shows only as
 * bytes sent. Printed, never asserted. `deno run --allow-all bench/compression.ts TREE` (needs root).
 */
import { startHarness } from "../tests/harness/harness.ts";
import { sandbox } from "../tests/e2e/_cli.ts";

export const CHOICES: { name: string; args: string[] }[] = [
  { name: "none", args: [] },
  { name: "zlib 6 (--compress, rsync < 3.2)", args: ["--compress", "--compress-choice=zlib"] },
  { name: "zstd 3 (--compress, rsync ≥ 3.2 both ends)", args: ["--compress"] },
  { name: "zstd 1", args: ["--compress", "--compress-choice=zstd", "--compress-level=1"] },
  { name: "lz4", args: ["--compress", "--compress-choice=lz4"] },
];

if (import.meta.main) {
  const tree = Deno.args[0];
  const harness = await startHarness();
  const box = await sandbox(harness);
  try {
    const warm = await box.crabbox(["warmup", "--class", "tiny"]);
    const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
    const printed = (await box.crabbox(["ssh", lease, "--print"])).stdout.trim();
    const bare = printed.replace(/^ssh /, "ssh -o ControlMaster=no -o ControlPath=none ")
      .replace(/ '[^']*exec bash -l'$/, "").replace(/^ssh -t /, "ssh ").replace(" -t ", " ");
    const rsh = bare.replace(/ \S+@\S+$/, "");
    const dest = printed.match(/ (\S+@\S+)/g)!.at(-1)!.trim().replace(/'/g, "");
    console.log("| compression | wall | CPU (rsync + ssh) | bytes sent |\n|---|---|---|---|");
    for (const choice of CHOICES) {
      await new Deno.Command("bash", { args: ["-c", `${bare} rm -rf /tmp/cbx-bench-z`] }).output();
      const started = performance.now();
      const out = await new Deno.Command("/usr/bin/time", {
        args: [
          "-f",
          "CPU %U %S",
          "rsync",
          "-a",
          "--stats",
          ...choice.args,
          "-e",
          rsh,
          `${tree}/`,
          `${dest}:/tmp/cbx-bench-z/`,
        ],
        env: box.env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const wall = (performance.now() - started) / 1000;
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      if (out.code !== 0) throw new Error(`rsync ${choice.name}: ${text}`);
      const cpu = text.match(/CPU (\S+) (\S+)\s*$/)!;
      const sent = text.match(/Total bytes sent: ([\d,.]+)/)?.[1] ?? "?";
      console.log(
        `| ${choice.name} | ${wall.toFixed(2)} s | ${
          (Number(cpu[1]) + Number(cpu[2])).toFixed(2)
        } s | ${sent} |`,
      );
    }
    await box.crabbox(["stop", lease]);
  } finally {
    await box.cleanup();
    await harness.stop();
  }
}
