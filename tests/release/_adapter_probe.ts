/**
 * Calls every real adapter that needs a Deno permission (core/runtime.ts) and prints what each gave
 * back as one JSON document. Run under exactly tools/permissions by permissions_test.ts: a permission
 * the product needs and the list lacks shows up as a NotCapable failure here, not as a silent
 * fallback in the shipped binary. Usage: _adapter_probe.ts TMPDIR LIVE_PID DEAD_PID PORT
 */
import { realFs, realNet, realProcess, realSystem } from "../../core/runtime.ts";
import { realPrompter } from "../../core/prompts.ts";

const [dir, livePid, deadPid, port] = Deno.args;
const results: Record<string, unknown> = {};
const probe = async (name: string, fn: () => unknown) => {
  try {
    results[name] = await fn();
  } catch (error) {
    results[name] = { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
};

await probe("user", () => realSystem.user());
await probe("hostname", () => realSystem.hostname());
await probe("uid", () => realSystem.uid());
await probe("homeDir", () => realSystem.homeDir());
await probe("tmpDir", () => realSystem.tmpDir());
await probe("liveAlive", () => realSystem.processAlive(Number(livePid)));
await probe("deadAlive", () => realSystem.processAlive(Number(deadPid)));
for (const cmd of ["ssh", "ssh-keygen", "ssh-keyscan", "rsync", "git"]) {
  await probe(`run:${cmd}`, async () => {
    const args = cmd === "ssh" ? ["-V"] : cmd.startsWith("ssh-") ? ["-?"] : ["--version"];
    const result = await realProcess.run(cmd, args);
    return result.signal === null ? "ran" : `signal ${result.signal}`;
  });
  await probe(`which:${cmd}`, async () => (await realProcess.which(cmd)) !== null);
}
await probe("fs", async () => {
  await realFs.mkdir(`${dir}/a/b`, { recursive: true, mode: 0o700 });
  await realFs.writeTextFile(`${dir}/a/b/f`, "x", { mode: 0o600 });
  const info = await realFs.lstat(`${dir}/a/b/f`);
  const text = await realFs.readTextFile(`${dir}/a/b/f`);
  await realFs.remove(`${dir}/a`, { recursive: true });
  return `${text} ${((info?.mode ?? 0) & 0o777).toString(8)}`;
});
await probe("tcpProbe", () => realNet.tcpProbe("127.0.0.1", Number(port), 2000));
// The prompt library loads, and asks whether stdin and stderr are terminals (crabbox init).
await probe("prompt", async () => {
  await import("@clack/prompts");
  return typeof realPrompter.interactive;
});
await probe("env", () => Object.keys(Deno.env.toObject()).length > 0);
console.log(JSON.stringify(results));
