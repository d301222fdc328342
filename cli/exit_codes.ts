/** The exit-code table of `crabbox help exit-codes` (SPEC §2.2), kept next to the README copy. */
export const EXIT_CODES_HELP = `Exit codes:
  0        success; stop of an already-deleted lease; sweep with nothing to do
  1        internal error; doctor found a failing check; sweep had a failed delete
  2        usage, config or policy error (bad flag, invalid config, jobsOnly refusal)
  3        auth: token missing, unauthorized or forbidden
  4        not found: lease/server not found, or an ambiguous slug
  5        timeout: server IP, SSH bootstrap, status --wait, box lock, --timeout
  6        sync: not a git repo, rsync missing, sync too large or failed
  7        remote: host key mismatch, SSH connection lost during the command
  8        provider: capacity/quota exhausted, Hetzner API error, retries exhausted
  129      interrupted by SIGHUP (the terminal closed)
  130      interrupted by SIGINT (Ctrl-C)
  141      stdout or stderr closed by its reader (crabbox run … | head), as SIGPIPE would
  143      interrupted by SIGTERM
           each stops the remote command and releases the box by its stop policy
  N        run and job run: the remote command's own exit status, verbatim
`;
