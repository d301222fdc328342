/**
 * The provider's own ssh to a static host (lease record reads and writes): the user's ssh.key and a host
 * key pinned in crabbox's known_hosts. The same hardened option set as ssh/args.ts, which sits above
 * providers/ and is keyed by a lease; here there is no lease yet.
 */
import { shellQuote } from "../../core/format.ts";
import { hostKeyAlias, type StaticHost } from "./hosts.ts";

export interface StaticSshOptions {
  keyFile: string;
  pinFile: string;
  configFile: string;
  connectTimeoutSecs: number;
  /** The name the host key is looked up under in pinFile; default the pin's alias (hosts.ts). */
  hostKeyAlias?: string;
}

export function staticSshArgs(host: StaticHost, options: StaticSshOptions): string[] {
  const o = (option: string) => ["-o", option];
  return [
    "-F",
    options.configFile,
    "-i",
    options.keyFile,
    ...o("IdentitiesOnly=yes"),
    ...o("IdentityAgent=none"),
    ...o("BatchMode=yes"),
    ...o("StrictHostKeyChecking=yes"),
    ...o(`UserKnownHostsFile=${options.pinFile}`),
    ...o("GlobalKnownHostsFile=/dev/null"),
    ...o(`HostKeyAlias=${options.hostKeyAlias ?? hostKeyAlias(host)}`),
    ...o("HostKeyAlgorithms=ssh-ed25519"),
    ...o("CheckHostIP=no"),
    ...o("ForwardAgent=no"),
    ...o("ForwardX11=no"),
    ...o("ClearAllForwardings=yes"),
    ...o("PermitLocalCommand=no"),
    ...o(`ConnectTimeout=${options.connectTimeoutSecs}`),
    ...o("ConnectionAttempts=1"),
    ...o("ControlMaster=no"),
    ...o("LogLevel=ERROR"),
    "-p",
    String(host.port),
    `${host.user}@${host.host}`,
  ];
}

/** `bash -c '<script>' crabbox-remote <args…>`, every word single-quoted (as lease/box.ts sends scripts). */
export function remoteBash(script: string, args: string[]): string {
  return ["bash", "-c", shellQuote(script), "crabbox-remote", ...args.map(shellQuote)].join(" ");
}

/**
 * What proves a static host ready, in place of the `crabbox-ready` that cloud-init installs on a Hetzner
 * box: the tools crabbox runs there. Prints `ready`, or `not-ready <tool>` and exits 1.
 */
export const STATIC_READY_COMMAND = remoteBash(
  'for t in bash flock rsync git; do command -v "$t" >/dev/null 2>&1 || { echo "not-ready $t"; exit 1; }; done; echo ready',
  [],
);
