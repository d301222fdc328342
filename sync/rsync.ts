/** rsync argv (SPEC §10.5 step 2): the NUL manifest arrives on stdin. Pure. */
export function rsyncArgs(input: {
  /** The shell-quoted ssh command with the pinned option set (no destination). */
  sshCommand: string;
  /** user@host:/workdir/ */
  destination: string;
  checksum: boolean;
  /** Send every listed file, whatever its size and mtime (files whose content id changed). */
  ignoreTimes?: boolean;
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
    ...(input.ignoreTimes ? ["--ignore-times"] : []),
    ...(input.debug ? ["--itemize-changes", "--stats"] : []),
    "./",
    input.destination,
  ];
}
