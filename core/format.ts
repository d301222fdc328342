/** Human formatting and shell quoting shared by output and printed commands. */

const SAFE_WORD = /^[A-Za-z0-9_./:@=,+-]+$/;

/** Bare when safe, else single-quoted with '\'' escaping (SPEC §11.4). */
export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** 1024-based, one decimal: 12.3 MiB. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 162,004. Not toLocaleString: its first call loads ICU data (10–50 ms of a warm run). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** RFC 3339 UTC with Z, whole seconds. */
export function formatIso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** 12:35:00Z */
export function formatClock(ms: number): string {
  return formatIso(ms).slice(11);
}
