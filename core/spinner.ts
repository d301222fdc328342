/**
 * The live progress line on a TTY (SPEC §14): one stderr line, `crabbox: ⠹ ssh 12.3s · waiting for
 * ssh on 10.77.0.2`, redrawn in place (carriage return + erase line) by a timer of the Deps clock.
 * Permanent lines are written with the line lifted out of their way; the remote command's first byte
 * stops it for good, so that output is never interleaved with redraws (nor erased mid-line).
 */
import type { Clock } from "./deps.ts";
import { formatDurationMs } from "./duration.ts";
import { paint } from "./terminal_style.ts";

export interface SpinnerDeps {
  /** Writes to stderr as-is. */
  write(text: string): void;
  clock: Pick<Clock, "now" | "every">;
  /** stderr's width in columns; null when unknown. */
  columns(): number | null;
}

export interface SpinnerOptions {
  color: boolean;
  unicode: boolean;
  /** Applied to every detail before it is shortened, so no cut can leave part of a secret behind. */
  redact: (text: string) => string;
}

export const UNICODE_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
export const ASCII_FRAMES = ["-", "\\", "|", "/"];
export const FRAME_MS = 100;
/** SPEC §14: a spinner for waits over 1 s; a quick command shows only its lines. */
export const SHOW_AFTER_MS = 1000;
const DEFAULT_COLUMNS = 80;
/** Carriage return, then erase to the end of the line. */
export const CLEAR_LINE = "\r\x1b[K";
// deno-lint-ignore no-control-regex -- control characters are exactly what must not reach the line
const CONTROL = /[\x00-\x1f\x7f]+/g;

export class Spinner {
  readonly #deps: SpinnerDeps;
  readonly #options: SpinnerOptions;
  readonly #frames: string[];
  #phase: string | null = null;
  #detail = "";
  #phaseStarted = 0;
  #firstStarted = 0;
  #frame = 0;
  /** A frame is on the screen (the cursor sits at its end). */
  #drawn = false;
  #stopTimer: (() => void) | null = null;
  #stopped = false;

  constructor(deps: SpinnerDeps, options: SpinnerOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#frames = options.unicode ? UNICODE_FRAMES : ASCII_FRAMES;
  }

  get active(): boolean {
    return this.#stopTimer !== null;
  }

  /** Enters a phase (its clock restarts when the name changes) or changes its detail. */
  phase(name: string, detail: string): void {
    if (this.#stopped) return;
    const now = this.#deps.clock.now();
    if (name !== this.#phase) {
      this.#phase = name;
      this.#phaseStarted = now;
    }
    this.#detail = this.#clean(detail);
    if (this.#stopTimer === null) {
      this.#firstStarted = now;
      this.#stopTimer = this.#deps.clock.every(FRAME_MS, () => this.#tick());
    }
    if (this.#drawn) this.#draw();
  }

  /** The current phase's detail (a wait's own words); ignored before the first phase. */
  detail(text: string): void {
    if (this.#phase === null || this.#stopped) return;
    this.#detail = this.#clean(text);
    if (this.#drawn) this.#draw();
  }

  /** Runs a write of whole lines with the spinner line cleared first and redrawn after. */
  lifted(write: () => void): void {
    if (!this.#drawn) return write();
    this.#deps.write(CLEAR_LINE);
    write();
    this.#draw();
  }

  /** Clears the line and stops the timer for good: later phases draw nothing. */
  stop(): void {
    this.#stopped = true;
    this.#stopTimer?.();
    this.#stopTimer = null;
    if (this.#drawn) this.#deps.write(CLEAR_LINE);
    this.#drawn = false;
  }

  /** The visible text of the current frame, without colour, at most `columns - 1` characters. */
  frameText(): string {
    const elapsed = formatDurationMs(this.#deps.clock.now() - this.#phaseStarted);
    const glyph = this.#frames[this.#frame % this.#frames.length];
    const text = `crabbox: ${glyph} ${this.#phase} ${elapsed}${this.#detail ? ` · ${this.#detail}` : ""}`;
    return fit(text, this.#width(), this.#options.unicode ? "…" : "...");
  }

  #tick(): void {
    if (!this.#drawn && this.#deps.clock.now() - this.#firstStarted < SHOW_AFTER_MS) return;
    this.#frame++;
    this.#draw();
  }

  #draw(): void {
    const text = this.frameText();
    const glyph = this.#frames[this.#frame % this.#frames.length];
    const prefix = `crabbox: ${glyph}`;
    // Only the glyph is coloured, after fitting: escape codes take no columns.
    const shown = this.#options.color && text.startsWith(prefix)
      ? `crabbox: ${paint("hint", glyph, true)}${text.slice(prefix.length)}`
      : text;
    this.#deps.write(CLEAR_LINE + shown);
    this.#drawn = true;
  }

  #width(): number {
    const columns = this.#deps.columns();
    return Math.max(20, (columns && columns > 0 ? columns : DEFAULT_COLUMNS) - 1);
  }

  #clean(text: string): string {
    return this.#options.redact(text).replace(CONTROL, " ").trim();
  }
}

/** Cut to width in code points (a wrapped line could not be erased in place). */
function fit(text: string, width: number, ellipsis: string): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width - ellipsis.length).join("") + ellipsis;
}
