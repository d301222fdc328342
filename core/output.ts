/**
 * crabbox's own voice. stdout carries results only; every stderr line starts with "crabbox: "
 * so it can be told apart from remote output. Redaction of the token happens here (and again in
 * the terminal adapter). How it is drawn — colour, and on a TTY one live progress line instead of
 * waiting lines — is decided once (core/terminal_style.ts); the use cases only report phases.
 */
import type { Clock, Terminal } from "./deps.ts";
import type { Redactor } from "./redact.ts";
import { formatDurationMs } from "./duration.ts";
import { paint, PLAIN, type StyleDecision, type Tone } from "./terminal_style.ts";
import { Spinner } from "./spinner.ts";

export interface OutputOptions {
  quiet: boolean;
  debug: boolean;
  json: boolean;
  /** Colour and spinner; plain lines when omitted. */
  style?: StyleDecision;
}

/** The steps of a lease's life the progress line names (create → ip → ssh → lock → sync → command). */
export type Phase =
  | "create"
  | "ip"
  | "ssh"
  | "lock"
  | "sync"
  | "command"
  | "collect"
  | "release"
  | "rollback";

export class Output {
  readonly #io: Terminal;
  readonly #redactor: Redactor;
  readonly #style: StyleDecision;
  readonly #spinner: Spinner | null;
  readonly options: OutputOptions;

  /** clock drives the spinner's frames; without it (or without style.spinner) nothing is redrawn. */
  constructor(
    io: Terminal,
    redactor: Redactor,
    options: OutputOptions,
    clock?: Pick<Clock, "now" | "every">,
  ) {
    this.#io = io;
    this.#redactor = redactor;
    this.options = options;
    this.#style = options.style ?? PLAIN;
    this.#spinner = this.#style.spinner && clock
      ? new Spinner(
        { write: (text) => io.writeStderr(redactor.redact(text)), clock, columns: () => io.stderrColumns() },
        { color: this.#style.colorStderr, unicode: this.#style.unicode, redact: (t) => redactor.redact(t) },
      )
      : null;
  }

  /** Progress: suppressed by --quiet. */
  progress(message: string): void {
    if (!this.options.quiet) this.#stderrLine(message);
  }

  /** A step begins: the spinner's text on a TTY; plain output prints nothing (its lines say it). */
  phase(phase: Phase, detail: string): void {
    this.#spinner?.phase(phase, detail);
  }

  /**
   * A wait's periodic report (its caller paces it, SPEC §14: one per 10 s): a plain line
   * `<what> elapsed=<t>[ <rest>]`, or on a TTY the spinner's detail, whose own clock is live.
   */
  waiting(what: string, elapsedMs: number, rest = ""): void {
    if (this.#spinner?.active) return this.#spinner.detail(what);
    this.progress(`${what} elapsed=${formatDurationMs(elapsedMs)}${rest ? ` ${rest}` : ""}`);
  }

  /** Clears the progress line and stops its timer for good (every exit path calls this). */
  endProgress(): void {
    this.#spinner?.stop();
  }

  /** Always printed (even with --quiet). */
  notice(message: string): void {
    this.#stderrLine(message);
  }

  warn(message: string): void {
    this.#stderrLine(message, this.#label("warning", "warning:"));
  }

  debug(message: string): void {
    if (this.options.debug) this.#stderrLine(`debug: ${message}`);
  }

  error(message: string, hint?: string): void {
    this.#stderrLine(message, this.#label("error", "error:"));
    if (hint) this.hint(hint);
  }

  hint(message: string): void {
    this.#stderrLine(message, this.#label("hint", "hint:"));
  }

  /** A word coloured for the stream it goes to, when that stream gets colour (else unchanged). */
  paint(stream: "stdout" | "stderr", tone: Tone | null, text: string): string {
    const enabled = stream === "stdout" ? this.#style.colorStdout : this.#style.colorStderr;
    return tone ? paint(tone, text, enabled) : text;
  }

  /** A result line on stdout. */
  result(line: string): void {
    this.#lifted(() => this.#io.writeStdout(this.#redactor.redact(line) + "\n"));
  }

  /** Exactly one compact JSON document plus newline. */
  json(value: unknown): void {
    this.#lifted(() => this.#io.writeStdout(this.#redactor.redact(JSON.stringify(value)) + "\n"));
  }

  /** Raw remote bytes, untouched. The first one ends the progress line: it must never cut into them. */
  remoteStdout(chunk: Uint8Array): void {
    this.#spinner?.stop();
    this.#io.writeStdout(chunk);
  }

  remoteStderr(chunk: Uint8Array): void {
    this.#spinner?.stop();
    this.#io.writeStderr(chunk);
  }

  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  #label(tone: Tone, word: string): string {
    return `${paint(tone, word, this.#style.colorStderr)} `;
  }

  #lifted(write: () => void): void {
    if (this.#spinner) this.#spinner.lifted(write);
    else write();
  }

  /** label (already coloured) starts the first line only, as the plain text always did. */
  #stderrLine(message: string, label = ""): void {
    const lines = (label + this.#redactor.redact(message)).split("\n");
    this.#lifted(() => this.#io.writeStderr(lines.map((line) => `crabbox: ${line}\n`).join("")));
  }
}
