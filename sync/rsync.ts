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
    // Level 1 of whatever the two rsyncs negotiate (zstd when both are ≥ 3.2, else zlib): on a 42 MB
    // JS tree it sends 5.5× fewer bytes than no compression for 1.2× its CPU, where the default level
    // (zstd 3) costs 1.9× and zlib 6 3.7× (bench/compression.ts, issue 10 P3).
    "--compress-level=1",
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
