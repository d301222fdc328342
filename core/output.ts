/**
 * crabbox's own voice. stdout carries results only; every stderr line starts with "crabbox: "
 * so it can be told apart from remote output. Redaction of the token happens here (and again in
 * the terminal adapter).
 */
import type { Terminal } from "./deps.ts";
import type { Redactor } from "./redact.ts";

export interface OutputOptions {
  quiet: boolean;
  debug: boolean;
  json: boolean;
}

export class Output {
  readonly #io: Terminal;
  readonly #redactor: Redactor;
  readonly options: OutputOptions;

  constructor(io: Terminal, redactor: Redactor, options: OutputOptions) {
    this.#io = io;
    this.#redactor = redactor;
    this.options = options;
  }

  /** Progress: suppressed by --quiet. */
  progress(message: string): void {
    if (!this.options.quiet) this.#stderrLine(message);
  }

  /** Always printed (even with --quiet). */
  notice(message: string): void {
    this.#stderrLine(message);
  }

  warn(message: string): void {
    this.#stderrLine(`warning: ${message}`);
  }

  debug(message: string): void {
    if (this.options.debug) this.#stderrLine(`debug: ${message}`);
  }

  error(message: string, hint?: string): void {
    this.#stderrLine(`error: ${message}`);
    if (hint) this.#stderrLine(`hint: ${hint}`);
  }

  /** A result line on stdout. */
  result(line: string): void {
    this.#io.writeStdout(this.#redactor.redact(line) + "\n");
  }

  /** Exactly one compact JSON document plus newline. */
  json(value: unknown): void {
    this.#io.writeStdout(this.#redactor.redact(JSON.stringify(value)) + "\n");
  }

  /** Raw remote bytes, untouched. */
  remoteStdout(chunk: Uint8Array): void {
    this.#io.writeStdout(chunk);
  }

  remoteStderr(chunk: Uint8Array): void {
    this.#io.writeStderr(chunk);
  }

  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  #stderrLine(message: string): void {
    for (const line of this.#redactor.redact(message).split("\n")) this.#io.writeStderr(`crabbox: ${line}\n`);
  }
}
