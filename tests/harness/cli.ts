/**
 * `deno task harness`: runs the fake Hetzner Cloud API with real sshd boxes until Ctrl-C, and prints
 * the two exports that point crabbox at it.
 */
import { startHarness } from "./harness.ts";

const envFileIndex = Deno.args.indexOf("--print-env-file");
const envFile = envFileIndex >= 0 ? Deno.args[envFileIndex + 1] : null;
const direct = Deno.args.includes("--no-prism");

if (Deno.uid() !== 0) {
  console.error("harness: needs root (it creates network namespaces); run it as root or with sudo");
  Deno.exit(2);
}

const harness = await startHarness({ prism: !direct });
const exports = `export HCLOUD_ENDPOINT=${harness.endpoint}\nexport HCLOUD_TOKEN=${harness.token}\n`;
console.log(exports.trimEnd());
console.error(`harness: admin API at ${harness.adminUrl}; Ctrl-C stops it and deletes every fake server`);
if (envFile) await Deno.writeTextFile(envFile, exports, { mode: 0o600 });

const stop = async () => {
  const report = await harness.stop();
  console.error(
    `harness: stopped; left behind: ${report.servers} servers, ${report.sshKeys} ssh keys, ${report.netns.length} namespaces`,
  );
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
