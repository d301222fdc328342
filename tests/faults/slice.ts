/**
 * Which rows CI runs (tests/e2e/faults_matrix_test.ts, also `deno task faults --slice`): one or a few
 * per kind of fault, all handled by today's code, about 40 s in all (budget ≤ 60 s).
 *
 * PENDING_FIXES are further rows that prove the fixes of issue 8 (`deno task faults --pending`); moving a
 * line into SLICE is a one-line change. Both lists are checked against the matrix: a typo is an error,
 * not a silently smaller slice.
 */
export const SLICE: string[] = [
  "input/config-unknown-key",
  "input/config-invalid-yaml",
  "input/config-bad-duration",
  "input/config-user-only-endpoint",
  "input/config-secret-value-not-echoed",
  "input/flag-unknown",
  "input/flag-timeout-garbage",
  "input/flag-id-with-class",
  "input/flag-no-command",
  "input/id-unknown-slug",
  "input/envname-value-with-quotes",
  "input/jobname-unknown",
  "input/filename-unicode",
  "input/filetype-symlink-outside",
  "api/429-burst-with-reset",
  "api/504-after-create-adopted",
  "api/server-count-quota",
  "api/401-unauthorized",
  "api/503-on-release-retried",
  "cut/kill9/oneshot/create",
  "cut/sigterm/oneshot/ip",
  "cut/sigint/oneshot/ready",
  "cut/sigterm/oneshot/sync",
  "cut/kill9/oneshot/command",
  "cut/sigint/oneshot/command",
  "cut/sigterm/id/lock",
  "cut/sigint/id/command",
  "cut/sigint-twice/oneshot/release",
  // Issue 8's fixes, one or two rows per defect (the rest stay in PENDING_FIXES for --pending).
  "cut/stdout/oneshot/command", // 1 EPIPE: `run -- … | head -n1`
  "cut/stdout/id/command", // 1 EPIPE on a reused box: back to ready, lock free
  "cut/sighup/oneshot/command", // 2 SIGHUP like SIGTERM
  "cut/sigterm/oneshot/command", // 2 SIGTERM → 143 during the command
  "cut/kill9-dead-holder/id/stop-without-force", // 3 dead holder needs no --force
  "input/filetype-fifo-tracked", // 4 FIFO in the manifest
  "input/config-alias-bomb", // 5 alias expansion limit
  "input/ignore-25-stars", // 5 linear-time patterns
  "input/flag-empty-command", // 5 run -- ""
  "input/jobname-traversal-dry-run", // 5 job name checked before any path
  "input/envname-prefix-matches-injection", // 6 env names validated
  "api/dropped-after-create-adopted", // 13 POST /servers never re-sent by the HTTP layer
];

/** More rows that prove issue 8's fixes (all handled now); outside the slice to keep CI under a minute. */
export const PENDING_FIXES: string[] = [
  "cut/stderr/oneshot/sync", // 1 closed stderr
  "input/help-with-closed-stdout", // 1 `crabbox --help | head -1`
  "cut/sigint/oneshot/release", // 2 a signal after the command still gives 130
  "input/config-huge-file", // 5 config size cap
  "input/ignore-reversed-range", // 5 invalid pattern with file:line
  "input/flag-unknown-class", // 5 unknown --class before any API call
  "input/id-numeric-out-of-range", // 5 numeric id out of range → exit 4
  "input/flag-timeout-zero", // 12 --timeout 0s
];
