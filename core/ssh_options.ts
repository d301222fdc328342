/**
 * The pinned, hardened ssh option set (SPEC §9.1), in one place: the lease's ssh (ssh/args.ts) and a
 * static host's provider ssh (providers/static/ssh.ts) differ only in key, known_hosts, alias and
 * multiplexing. Pure; here in core/ because providers/ sits below ssh/.
 */
export interface PinnedSshInput {
  /** "none", or the user's ssh.configFile. */
  configFile: string;
  keyFile: string;
  knownHostsFile: string;
  hostKeyAlias: string;
  connectTimeoutSecs: number;
  /** Options between ConnectionAttempts and LogLevel (keepalives, ControlMaster…). */
  session: string[];
  user: string;
  host: string;
  port: number;
}

/** Everything up to and including the destination; the remote command is appended by the caller. */
export function pinnedSshArgs(input: PinnedSshInput): string[] {
  return [
    "-F",
    input.configFile,
    "-i",
    input.keyFile,
    ...[
      "IdentitiesOnly=yes",
      "IdentityAgent=none",
      "BatchMode=yes",
      "StrictHostKeyChecking=yes",
      `UserKnownHostsFile=${input.knownHostsFile}`,
      "GlobalKnownHostsFile=/dev/null",
      `HostKeyAlias=${input.hostKeyAlias}`,
      "HostKeyAlgorithms=ssh-ed25519",
      "CheckHostIP=no",
      "ForwardAgent=no",
      "ForwardX11=no",
      "ClearAllForwardings=yes",
      "PermitLocalCommand=no",
      `ConnectTimeout=${input.connectTimeoutSecs}`,
      "ConnectionAttempts=1",
      ...input.session,
      "LogLevel=ERROR",
    ].flatMap((option) => ["-o", option]),
    "-p",
    String(input.port),
    `${input.user}@${input.host}`,
  ];
}
