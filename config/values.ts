/** Parsing one config value by its type; errors are plain messages the caller locates (file:line:col). */
import { parseDuration } from "../core/duration.ts";
import type { KeySpec, ValueType } from "./schema.ts";

const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

export function parseBool(text: string): boolean | null {
  if (/^(1|true|yes|on)$/i.test(text.trim())) return true;
  if (/^(0|false|no|off)$/i.test(text.trim())) return false;
  return null;
}

/** Converts a YAML value (or an env string when fromEnv) to the key's type; throws Error(message). */
export function coerce(
  type: ValueType,
  value: unknown,
  spec: Partial<KeySpec> = {},
  fromEnv = false,
): unknown {
  const out = coerceType(type, value, fromEnv);
  const numbers = type === "intList" ? out as number[] : typeof out === "number" ? [out] : [];
  for (const n of numbers) {
    if (spec.min !== undefined && n < spec.min) {
      throw new Error(`must be at least ${describe(type, spec.min)}`);
    }
    if (spec.max !== undefined && n > spec.max) {
      throw new Error(`must be at most ${describe(type, spec.max)}`);
    }
  }
  return out;
}

function describe(type: ValueType, n: number): string {
  if (type !== "duration") return String(n);
  return n % 3600 === 0 && n >= 3600 ? `${n / 3600}h` : n % 60 === 0 && n >= 60 ? `${n / 60}m` : `${n}s`;
}

function coerceType(type: ValueType, value: unknown, fromEnv: boolean): unknown {
  switch (type) {
    case "string":
      if (typeof value !== "string") throw new Error(`must be a string, got ${kind(value)}`);
      return value;
    case "duration":
      if (typeof value !== "string") {
        throw new Error(`must be a duration like 90m or 1h30m, got ${kind(value)}`);
      }
      return parseDuration(value);
    case "int": {
      const n = fromEnv && typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new Error(`must be a whole number, got ${kind(value)}`);
      }
      return n;
    }
    case "bool": {
      if (typeof value === "boolean") return value;
      const b = fromEnv && typeof value === "string" ? parseBool(value) : null;
      if (b === null) throw new Error(`must be true or false, got ${kind(value)}`);
      return b;
    }
    case "size": {
      if (typeof value === "number" && Number.isInteger(value)) return value;
      const m = typeof value === "string" ? value.trim().match(SIZE) : null;
      if (!m) throw new Error(`must be a size like 512MiB or 5GiB, got ${kind(value)}`);
      return Number(m[1]) * SIZE_UNITS[m[2] ?? "B"];
    }
    case "stringList": {
      const list = fromEnv && typeof value === "string"
        ? value.split(",").map((s) => s.trim()).filter(Boolean)
        : value;
      if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
        throw new Error(`must be a list of strings, got ${kind(value)}`);
      }
      return list;
    }
    case "intList": {
      if (fromEnv && typeof value === "string" && value.trim() === "none") return [];
      const list = fromEnv && typeof value === "string"
        ? value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
        : value;
      if (!Array.isArray(list) || !list.every((n) => typeof n === "number" && Number.isInteger(n))) {
        throw new Error(`must be a list of whole numbers, got ${kind(value)}`);
      }
      return list;
    }
    case "stringMap": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`must be a map of names to strings, got ${kind(value)}`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") throw new Error(`value of "${k}" must be a string, got ${kind(v)}`);
      }
      return value;
    }
  }
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `"${value.length > 40 ? value.slice(0, 40) + "…" : value}"`;
  return String(value);
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function suggest(name: string, candidates: string[]): string {
  const best = candidates
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? ` (did you mean "${best.c}"?)` : "";
}
