/**
 * The assertions every fault row makes about one crabbox process: the exit-code class, no hang, no
 * stack trace, every line crabbox writes to stderr prefixed `crabbox: `, at most (or exactly) one
 * `crabbox: error:` line — and, over everything a row printed, neither canary.
 */
import type { CliOutcome } from "./cli_proc.ts";
import { CANARY_TOKEN, CANARY_VALUE, lastLines, type RowRun } from "./world.ts";

export type CodeExpectation = number | number[] | "any";

export interface OutputExpectation {
  code: CodeExpectation;
  /** "one": exactly one `crabbox: error:` line (input and API errors); default "at most one". */
  errorLine?: "one" | "at most one" | "none";
  /** The error line must match this. */
  error?: RegExp;
  /** Remote output lines the command itself writes to stderr start with this (not crabbox's voice). */
  remotePrefix?: string;
  /** Some crabbox outputs (help on stderr) are not progress lines. */
  skipPrefixCheck?: boolean;
}

const STACK = /Uncaught|^\s+at .*(file:|ext:|node:|<anonymous>)|error: Uncaught|panicked at/m;

export function codeMatches(code: number, expected: CodeExpectation): boolean {
  if (expected === "any") return true;
  return Array.isArray(expected) ? expected.includes(code) : code === expected;
}

export function describeCode(expected: CodeExpectation): string {
  if (expected === "any") return "any exit";
  return `exit ${Array.isArray(expected) ? expected.join("|") : expected}`;
}

export function checkOutput(row: RowRun, label: string, out: CliOutcome, expect: OutputExpectation): void {
  if (out.hung) {
    row.fail(`${label}: hung — killed at the ${Math.round(out.ms / 1000)}s deadline`);
    return;
  }
  if (!codeMatches(out.code, expect.code)) {
    row.fail(
      `${label}: ${describeCode(expect.code)} expected, got ${out.code}${
        out.signal ? ` (${out.signal})` : ""
      }: ${lastLines(out.stderr)}`,
    );
  }
  if (STACK.test(out.stderr) || STACK.test(out.stdout)) {
    const line = (out.stderr + "\n" + out.stdout).split("\n").find((l) => STACK.test(l)) ?? "";
    row.fail(`${label}: stack trace: ${line.trim().slice(0, 160)}`);
  }
  if (!expect.skipPrefixCheck) {
    const foreign = out.stderr.split("\n").filter((line) =>
      line !== "" && !line.startsWith("crabbox: ") &&
      !(expect.remotePrefix && line.startsWith(expect.remotePrefix))
    );
    if (foreign.length > 0) {
      row.fail(`${label}: ${foreign.length} stderr line(s) without "crabbox: ": ${foreign[0].slice(0, 160)}`);
    }
  }
  const errors = out.stderr.split("\n").filter((l) => l.startsWith("crabbox: error:"));
  const want = expect.errorLine ?? "at most one";
  if (want === "one" && errors.length !== 1) {
    row.fail(`${label}: exactly one "crabbox: error:" line expected, got ${errors.length}`);
  } else if (want === "at most one" && errors.length > 1) {
    row.fail(`${label}: ${errors.length} "crabbox: error:" lines: ${errors.join(" | ").slice(0, 200)}`);
  } else if (want === "none" && errors.length > 0) {
    row.fail(`${label}: unexpected error: ${errors[0].slice(0, 200)}`);
  }
  if (expect.error && errors.length > 0 && !errors.some((e) => expect.error!.test(e))) {
    row.fail(`${label}: error line does not match ${expect.error}: ${errors[0].slice(0, 200)}`);
  }
  if (expect.error && errors.length === 0 && want !== "none") {
    // Counted above for "one"; for "at most one" the message is still required.
    if (want === "at most one") row.fail(`${label}: no "crabbox: error:" line matching ${expect.error}`);
  }
}

/** Over everything the row ran: the token and the forwarded value are nowhere. */
export function checkCanaries(row: RowRun): void {
  for (const { args, outcome } of row.outcomes) {
    const all = outcome.stdout + outcome.stderr;
    if (all.includes(CANARY_TOKEN)) row.fail(`the API token appeared in the output of crabbox ${args[0]}`);
    if (all.includes(CANARY_VALUE)) {
      row.fail(`the forwarded canary value appeared in the output of crabbox ${args[0]}`);
    }
    if (/Bearer\s+[A-Za-z0-9]{8}/.test(all)) row.fail(`a bearer header appeared in crabbox ${args[0]}`);
  }
}
