/** Duration syntax of SPEC §2.4: one or more <int><h|m|s> groups; compact printing. */
import { usageError } from "./errors.ts";

const UNIT_SECS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

/** The seconds of `<int><unit>` groups over `units` ("hms", or "dhms" where days are allowed); null if malformed. */
function sumGroups(text: string, units: "hms" | "dhms"): number | null {
  const trimmed = text.trim();
  if (!new RegExp(`^(\\d+[${units}])+$`).test(trimmed)) return null;
  let secs = 0;
  for (const [, n, unit] of trimmed.matchAll(new RegExp(`(\\d+)([${units}])`, "g"))) {
    secs += Number(n) * UNIT_SECS[unit];
  }
  return secs;
}

/** Seconds; throws an Error naming the expected form. */
export function parseDuration(text: string): number {
  const secs = sumGroups(text, "hms");
  if (secs === null) throw new Error(`invalid duration "${text}" (use forms like 90m, 1h30m, 45s)`);
  return secs;
}

/** The longest wait any flag takes: a lease's ttl cap. Longer ones would also overflow timers (2^31 ms). */
export const MAX_WAIT_SECS = 168 * 3600;

/**
 * A duration flag within [min, max] seconds; throws an Error naming the bounds. Zero is never a
 * timeout: `--timeout 0s` would stop the command at once, after paying for the box.
 */
export function parseBoundedDuration(text: string, min: number, max = MAX_WAIT_SECS): number {
  const secs = parseDuration(text);
  if (secs < min || secs > max) throw new Error(`must be between ${bound(min)} and ${bound(max)}`);
  return secs;
}

/** A duration flag's value in seconds (undefined when not given); a bad one is a usage error naming the flag. */
export function parseDurationFlag(flag: string, value: string | undefined, minSecs = 1): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseBoundedDuration(value, minSecs);
  } catch (error) {
    throw usageError(`${flag} ${value}: ${(error as Error).message}`, "pass a duration like 90m or 1h30m");
  }
}

const bound = (secs: number) => (secs < 60 ? `${secs}s` : formatDuration(secs));

/** Compact form: 1h30m, 45m, 1m42s; under a minute one decimal (3.2s). */
export function formatDurationMs(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}` || "0s";
}

export function formatDuration(secs: number): string {
  return formatDurationMs(secs * 1000);
}

/**
 * A duration that may count days (7d, 1d12h), within [min, max] seconds: for what outlives a lease
 * (checkpoint --ttl, prune --unused-for). A bad one is a usage error naming the flag.
 */
export function parseDaysFlag(flag: string, value: string, minSecs: number, maxSecs: number): number {
  const secs = sumGroups(value, "dhms");
  if (secs === null || secs < minSecs || secs > maxSecs) {
    throw usageError(
      `${flag} ${value}: must be a duration between ${formatDays(minSecs)} and ${formatDays(maxSecs)}`,
      "pass a duration like 7d, 36h or 1d12h",
    );
  }
  return secs;
}

/** 7d, 1d12h, 36m: days first, then the compact form. */
export function formatDays(secs: number): string {
  const days = Math.floor(secs / 86400), rest = secs % 86400;
  return days === 0 ? formatDuration(secs) : `${days}d${rest ? formatDuration(rest) : ""}`;
}
