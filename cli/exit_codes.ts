/**
 * The exit codes (SPEC §2.2): one table, printed by `crabbox help exit-codes` and rendered into
 * docs/exit-codes.md (deno task gen:docs; tests/unit/docs_drift_test.ts checks the page and that every
 * code of core/errors.ts has a row).
 */
import { EXIT_CODES, INTERRUPT_EXIT_CODES } from "../core/errors.ts";

export interface ExitCodeRow {
  /** A number, or "N" for the remote command's own status. */
  code: string;
  meaning: string;
}

export const EXIT_CODE_ROWS: readonly ExitCodeRow[] = [
  { code: "0", meaning: "success; stop of an already-deleted lease; sweep with nothing to do" },
  { code: "1", meaning: "internal error; doctor found a failing check; sweep had a failed delete" },
  { code: "2", meaning: "usage, config or policy error (bad flag, invalid config, jobsOnly refusal)" },
  { code: "3", meaning: "auth: token missing, unauthorized or forbidden" },
  { code: "4", meaning: "not found: lease/server not found, or an ambiguous slug" },
  { code: "5", meaning: "timeout: server IP, SSH bootstrap, status --wait, box lock, --timeout" },
  { code: "6", meaning: "sync: not a git repo, rsync missing, sync too large or failed" },
  { code: "7", meaning: "remote: host key mismatch, SSH connection lost during the command" },
  {
    code: "8",
    meaning: "provider: capacity/quota exhausted, Hetzner API error, retries exhausted; budget: a create " +
      "would pass budget.maxActive or budget.maxHourly (nothing created)",
  },
  { code: "129", meaning: "interrupted by SIGHUP (the terminal closed)" },
  { code: "130", meaning: "interrupted by SIGINT (Ctrl-C)" },
  { code: "141", meaning: "stdout or stderr closed by its reader (crabbox run … | head), as SIGPIPE would" },
  { code: "143", meaning: "interrupted by SIGTERM" },
  { code: "N", meaning: "run and job run: the remote command's own exit status, verbatim" },
];

const INTERRUPT_NOTE = "each stops the remote command and releases the box by its stop policy";

export const EXIT_CODES_HELP = [
  "Exit codes:",
  ...EXIT_CODE_ROWS.flatMap((row) => [
    `  ${row.code.padEnd(9)}${row.meaning}`,
    ...(row.code === "143" ? [`${" ".repeat(11)}${INTERRUPT_NOTE}`] : []),
  ]),
  "",
].join("\n");

/** The `error.kind` values (`--json` error documents) that end with this code. */
export function kindsForExitCode(code: string): string[] {
  const kinds = Object.entries(EXIT_CODES).filter(([, c]) => String(c) === code).map(([kind]) => kind);
  if (Object.values(INTERRUPT_EXIT_CODES).some((c) => String(c) === code)) kinds.push("interrupted");
  return [...new Set(kinds)];
}

/** docs/exit-codes.md. */
export function renderExitCodesPage(): string {
  const rows = EXIT_CODE_ROWS.map((row) => {
    const kinds = kindsForExitCode(row.code).map((k) => `\`${k}\``).join(", ") || "—";
    return `| ${row.code} | ${kinds} | ${row.meaning.replaceAll("|", "\\|")} |`;
  });
  return [
    "# Exit codes",
    "",
    "<!-- Generated from cli/exit_codes.ts and core/errors.ts by `deno task gen:docs`; do not edit. -->",
    "",
    "`crabbox help exit-codes` prints the same table. Under `--json` a failure also prints",
    '`{"error":{"kind","message","hint","exitCode"}}` on stdout; `kind` is the second column.',
    "",
    "| Code | `error.kind` | Meaning |",
    "| --- | --- | --- |",
    ...rows,
    "",
    `129, 130, 141 and 143: ${INTERRUPT_NOTE} (a one-shot box is deleted, an \`--id\` box goes back to`,
    "`ready`); a second signal exits at once and prints the `crabbox stop …` line that cleans up.",
    "",
    "`run` and `job run` pass the remote command's own status through (128 + the signal number when the",
    "command was killed by a signal), so a code of 1–8 from them is ambiguous. The result document",
    "(`--result-json`, `.crabbox-results/crabbox-<job>.json`) settles it with `exitSource`: `remote` or",
    "`crabbox`. A failed run also leaves a failure bundle, `.crabbox-results/failure-<run>.json`, that",
    "names the phase that failed, the exit code and the last lines of the output.",
    "",
  ].join("\n");
}
