/** rsync argv (SPEC §10.5 step 2): the NUL manifest arrives on stdin. Pure. */
export function rsyncArgs(input: {
  /** The shell-quoted ssh command with the pinned option set (no destination). */
  sshCommand: string;
  /** user@host:/workdir/ */
  destination: string;
  checksum: boolean;
  debug: boolean;
}): string[] {
  return [
    "-a",
    "--compress",
    "--files-from=-",
    "--from0",
    "--timeout=60",
    "--mkpath",
    "-e",
    input.sshCommand,
    ...(input.checksum ? ["--checksum"] : []),
    ...(input.debug ? ["--itemize-changes", "--stats"] : []),
    "./",
    input.destination,
  ];
}
