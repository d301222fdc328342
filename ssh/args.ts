/** The pinned ssh option set (SPEC §9.1) and the ControlMaster socket path (SPEC §9.3). Pure. */
import { createHash } from "node:crypto";
import { join } from "node:path";

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
  const o = (option: string) => ["-o", option];
  return [
    "-F",
    input.configFile,
    "-i",
    join(input.leaseDir, "id_ed25519"),
    ...o("IdentitiesOnly=yes"),
    ...o("IdentityAgent=none"),
    ...o("BatchMode=yes"),
    ...o("StrictHostKeyChecking=yes"),
    ...o(`UserKnownHostsFile=${join(input.leaseDir, "known_hosts")}`),
    ...o("GlobalKnownHostsFile=/dev/null"),
    ...o(`HostKeyAlias=${input.leaseId}`),
    ...o("HostKeyAlgorithms=ssh-ed25519"),
    ...o("CheckHostIP=no"),
    ...o("ForwardAgent=no"),
    ...o("ForwardX11=no"),
    ...o("ClearAllForwardings=yes"),
    ...o("PermitLocalCommand=no"),
    ...o(`ConnectTimeout=${input.connectTimeoutSecs}`),
    ...o("ConnectionAttempts=1"),
    ...o("ServerAliveInterval=15"),
    ...o("ServerAliveCountMax=4"),
    ...(input.controlPath
      ? [
        ...o("ControlMaster=auto"),
        ...o(`ControlPath=${input.controlPath}`),
        ...o(`ControlPersist=${input.controlPersistSecs}s`),
      ]
      : o("ControlMaster=no")),
    ...o("LogLevel=ERROR"),
    "-p",
    String(input.port),
    `${input.user}@${input.host}`,
  ];
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
