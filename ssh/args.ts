/** The pinned ssh option set (SPEC §9.1) and the ControlMaster socket path (SPEC §9.3). Pure. */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { pinnedSshArgs } from "../core/ssh_options.ts";

export interface SshArgsInput {
  leaseDir: string;
  leaseId: string;
  user: string;
  host: string;
  port: number;
  /** null turns multiplexing off. */
  controlPath: string | null;
  /** How long an idle master lingers (ssh.controlPersist); only used with a controlPath. */
  controlPersistSecs: number;
  connectTimeoutSecs: number;
  /** "none", or the user's ssh.configFile. */
  configFile: string;
}

/** Everything up to and including the destination; the remote command is appended by the caller. */
export function sshBaseArgs(input: SshArgsInput): string[] {
  return pinnedSshArgs({
    configFile: input.configFile,
    keyFile: join(input.leaseDir, "id_ed25519"),
    knownHostsFile: join(input.leaseDir, "known_hosts"),
    hostKeyAlias: input.leaseId,
    connectTimeoutSecs: input.connectTimeoutSecs,
    session: [
      "ServerAliveInterval=15",
      "ServerAliveCountMax=4",
      ...(input.controlPath
        ? [
          "ControlMaster=auto",
          `ControlPath=${input.controlPath}`,
          `ControlPersist=${input.controlPersistSecs}s`,
        ]
        : ["ControlMaster=no"]),
    ],
    user: input.user,
    host: input.host,
    port: input.port,
  });
}

const MAX_SOCKET_PATH = 90;

export function controlSocketDir(
  input: { runtimeDir: string | null; tmpDir: string; uid: number | null },
): string {
  return input.runtimeDir
    ? join(input.runtimeDir, "crabbox")
    : join(input.tmpDir, `crabbox-${input.uid ?? "user"}`);
}

/** Short, per lease+ip+port; null when the path would be too long for a UNIX socket. */
export function controlSocketPath(input: {
  runtimeDir: string | null;
  tmpDir: string;
  uid: number | null;
  leaseId: string;
  ip: string;
  port: number;
}): string | null {
  const name = createHash("sha256").update(`${input.leaseId}${input.ip}${input.port}`).digest("hex").slice(
    0,
    12,
  );
  const path = join(controlSocketDir(input), name);
  return path.length > MAX_SOCKET_PATH ? null : path;
}
