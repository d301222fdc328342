/**
 * How crabbox may draw on this invocation's terminal (SPEC §14): colour per stream and the live
 * progress line on stderr. One pure decision from (isTTY, env, flags); Output applies it.
 */

export interface StyleInputs {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The variables that matter; unset ones are undefined. */
  env: {
    NO_COLOR?: string;
    FORCE_COLOR?: string;
    CI?: string;
    TERM?: string;
    LC_ALL?: string;
    LC_CTYPE?: string;
    LANG?: string;
  };
  /** color is false with --no-color. */
  flags: { color: boolean; quiet: boolean; json: boolean };
}

const STYLE_VARIABLES = ["NO_COLOR", "FORCE_COLOR", "CI", "TERM", "LC_ALL", "LC_CTYPE", "LANG"] as const;

/** The environment the decision reads (and nothing else of it). */
export function styleEnv(get: (name: string) => string | undefined): StyleInputs["env"] {
  const env: StyleInputs["env"] = {};
  for (const name of STYLE_VARIABLES) {
    const value = get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface StyleDecision {
  colorStdout: boolean;
  colorStderr: boolean;
  /** One redrawn progress line on stderr instead of waiting lines. */
  spinner: boolean;
  /** Braille spinner frames (a UTF-8 locale), else ASCII ones. */
  unicode: boolean;
}

export const PLAIN: StyleDecision = {
  colorStdout: false,
  colorStderr: false,
  spinner: false,
  unicode: false,
};

const OFF = /^(0|false|no|off)$/i;

/**
 * Turning colour off always wins: --no-color, then FORCE_COLOR=0, then NO_COLOR (any non-empty
 * value, no-color.org). Any other FORCE_COLOR colours even a pipe. --json never colours: a script
 * reads that run. Otherwise colour follows the stream's TTY, and TERM=dumb has none.
 */
function colorFor(isTTY: boolean, inputs: StyleInputs): boolean {
  const { env, flags } = inputs;
  if (!flags.color || flags.json) return false;
  if (env.FORCE_COLOR !== undefined && OFF.test(env.FORCE_COLOR.trim())) return false;
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return true;
  return isTTY && env.TERM !== "dumb";
}

/** CI logs are files, not terminals, even when a CI runner allocates a pty (SPEC §12.2: "no prompts or spinners"). */
function isCi(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "" && !OFF.test(value.trim());
}

export function decideStyle(inputs: StyleInputs): StyleDecision {
  const { env, flags } = inputs;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || "";
  return {
    colorStdout: colorFor(inputs.stdoutIsTTY, inputs),
    colorStderr: colorFor(inputs.stderrIsTTY, inputs),
    spinner: inputs.stderrIsTTY && !flags.quiet && !flags.json && !isCi(env.CI) && env.TERM !== "dumb",
    unicode: /utf-?8/i.test(locale),
  };
}

/** What a word means, not its colour: colour never carries meaning on its own (SPEC §14). */
export type Tone = "ok" | "error" | "warning" | "hint" | "active" | "muted";

const SGR: Record<Tone, [number, number]> = {
  ok: [32, 39], // green
  error: [31, 39], // red
  warning: [33, 39], // yellow
  hint: [36, 39], // cyan
  active: [34, 39], // blue
  muted: [2, 22], // dim
};

export function paint(tone: Tone, text: string, enabled: boolean): string {
  if (!enabled || text === "") return text;
  const [on, off] = SGR[tone];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

/** Lease states (SPEC §3.3) and list's FOREIGN marker. */
const STATE_TONES: Record<string, Tone> = {
  ready: "ok",
  leased: "active",
  running: "active",
  provisioning: "warning",
  FOREIGN: "warning",
  failed: "error",
  expired: "error",
  released: "muted",
};

export function stateTone(state: string): Tone | null {
  return STATE_TONES[state] ?? null;
}

/** doctor's statuses. */
const CHECK_TONES: Record<string, Tone> = { ok: "ok", warn: "warning", fail: "error", skip: "muted" };

export function checkTone(status: string): Tone | null {
  return CHECK_TONES[status] ?? null;
}
