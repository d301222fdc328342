/**
 * `deno task harness`: runs the fake Hetzner Cloud API with real sshd boxes until Ctrl-C/SIGTERM, prints
 * the exports that point crabbox at it (stdout, or a file with --print-env-file), then tears down and
 * prints the leak report. `--no-prism` serves the fake directly.
 */
import { startHarness } from "./harness.ts";

const envFileIndex = Deno.args.indexOf("--print-env-file");
const envFile = envFileIndex >= 0 ? Deno.args[envFileIndex + 1] : null;
const direct = Deno.args.includes("--no-prism");

if (Deno.uid() !== 0) {
  console.error("harness: needs root (it creates network namespaces); run it as root or with sudo");
  Deno.exit(2);
}
if (envFileIndex >= 0 && !envFile) {
  console.error("harness: --print-env-file needs a path");
  Deno.exit(2);
}

const harness = await startHarness({ prism: !direct, exitOnSignal: false });
const exports = `export HCLOUD_ENDPOINT=${harness.endpoint}\nexport HCLOUD_TOKEN=${harness.token}\n`;
console.log(exports.trimEnd());
console.error(
  `harness: admin API at ${harness.adminUrl} (direct endpoint ${harness.directEndpoint}); ` +
    "Ctrl-C stops it and deletes every fake server",
);
if (envFile) await Deno.writeTextFile(envFile, exports, { mode: 0o600 });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const report = await harness.stop();
  const violations = harness.violations();
  console.error(
    `harness: stopped; left behind: ${report.servers} servers, ${report.sshKeys} ssh keys, ` +
      `${report.firewalls ?? 0} firewalls, ` +
      `${report.netns.length} namespace objects${
        report.netns.length ? ` (${report.netns.join(", ")})` : ""
      }; ` +
      `${violations.length} contract violations`,
  );
  Deno.exit(report.netns.length === 0 ? 0 : 1);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
