/**
 * `deno task harness:static`: one static host for `provider: ssh` (an sshd namespace, no fake API) until
 * Ctrl-C/SIGTERM. Prints a config and a known_hosts line that point crabbox at it, then tears it down.
 */
import { startStaticHost } from "./static_host.ts";

if (Deno.uid() !== 0) {
  console.error("harness: needs root (it creates a network namespace); run it as root or with sudo");
  Deno.exit(2);
}
const host = await startStaticHost();
console.log(`# ~/.config/crabbox/config.yaml (or the repo's .crabbox.yaml)
provider: ssh
static:
  host: ${host.ip}
  user: ${host.user}
  port: "${host.port}"
  workRoot: /work/static
ssh:
  key: ${host.keyFile}
# ~/.ssh/known_hosts (or pass --accept-host-key once)
${host.ip} ${host.hostKey}`);
console.error(`harness: static host ${host.ip} (its /work is ${host.workDir}); Ctrl-C stops it`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await host.stop();
  console.error("harness: static host stopped");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
