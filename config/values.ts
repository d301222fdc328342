/**
 * Parsing one config value by its KeySpec. Errors are plain Error messages ("must be …") that the caller
 * prefixes with the key and locates (file:line:col, the variable, or the flag).
 */
import { parseDuration } from "../core/duration.ts";
import type { KeySpec, ValueType } from "./schema.ts";

/** Where a raw value came from: YAML keeps its own types; env and flags arrive as text. */
export type Origin = "yaml" | "env" | "flag";

const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** SPEC §12.2: 1/true/yes/on and 0/false/no/off, case-insensitive; anything else is null. */
export function parseBool(text: string): boolean | null {
  if (/^(1|true|yes|on)$/i.test(text.trim())) return true;
  if (/^(0|false|no|off)$/i.test(text.trim())) return false;
  return null;
}

/** Converts a raw value to the key's type and checks its bounds; throws Error(problem). */
export function coerce(spec: KeySpec, value: unknown, origin: Origin = "yaml"): unknown {
  const out = coerceType(spec.type, spec.digits && origin === "yaml" ? fromDigits(value) : value, origin);
  const numbers = spec.type === "intList" ? out as number[] : typeof out === "number" ? [out] : [];
  for (const n of numbers) {
    if (spec.min !== undefined && n < spec.min) {
      throw new Error(`must be at least ${describe(spec.type, spec.min)}`);
    }
    if (spec.max !== undefined && n > spec.max) {
      throw new Error(`must be at most ${describe(spec.type, spec.max)}`);
    }
  }
  if (spec.choices && !spec.choices.includes(out as string)) {
    throw new Error(`must be one of ${spec.choices.join(", ")}, got ${kind(value)}`);
  }
  if (spec.nonEmpty && Array.isArray(out) && out.length === 0) throw new Error("must not be empty");
  const problem = spec.check?.(out);
  if (problem) throw new Error(problem);
  return out;
}

/** `"2222"` → 2222 and `["22"]` → [22] (the Go CLI writes ports as strings); anything else unchanged. */
function fromDigits(value: unknown): unknown {
  const digit = (v: unknown) => (typeof v === "string" && /^\d{1,5}$/.test(v.trim()) ? Number(v) : v);
  return Array.isArray(value) ? value.map(digit) : digit(value);
}

function describe(type: ValueType, n: number): string {
  if (type !== "duration") return String(n);
  if (n >= 3600 && n % 3600 === 0) return `${n / 3600}h`;
  return n >= 60 && n % 60 === 0 ? `${n / 60}m` : `${n}s`;
}

const fromText = (value: unknown, origin: Origin) => origin !== "yaml" && typeof value === "string";
const splitList = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

function coerceType(type: ValueType, value: unknown, origin: Origin): unknown {
  switch (type) {
    case "string":
      if (typeof value !== "string") throw new Error(`must be a string, got ${kind(value)}`);
      return value;
    case "duration":
      return duration(value, origin);
    case "int": {
      const n = fromText(value, origin) && /^\d+$/.test((value as string).trim()) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new Error(`must be a whole number, got ${kind(value)}`);
      }
      return n;
    }
    case "number": {
      const text = fromText(value, origin) ? (value as string).trim() : null;
      const n = text !== null && /^\d+(\.\d+)?$/.test(text) ? Number(text) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) {
        throw new Error(`must be a number, got ${kind(value)}`);
      }
      return n;
    }
    case "bool": {
      if (typeof value === "boolean") return value;
      const b = typeof value === "string"
        ? parseBool(value)
        : value === 1
        ? true
        : value === 0
        ? false
        : null;
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
      const list = fromText(value, origin) ? splitList(value as string) : value;
      if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
        throw new Error(`must be a list of strings, got ${kind(value)}`);
      }
      return list;
    }
    case "intList": {
      if (fromText(value, origin) && (value as string).trim() === "none") return [];
      const list = fromText(value, origin)
        ? splitList(value as string).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
        : value;
      if (!Array.isArray(list) || !list.every((n) => typeof n === "number" && Number.isInteger(n))) {
        throw new Error(`must be a list of whole numbers, got ${kind(value)}`);
      }
      return list;
    }
    case "stringMap":
      return stringMap(value);
    case "command":
      if (typeof value === "string" && value.trim() !== "") return value;
      if (
        Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string") &&
        value[0].trim() !== ""
      ) return value;
      throw new Error(`must be a command string or a non-empty list of words, got ${kind(value)}`);
  }
}

/** `90m`, `1h30m`, `45s`; also 0 (a bare zero needs no unit). Flags may pass seconds already parsed. */
function duration(value: unknown, origin: Origin): number {
  if (value === 0 || value === "0") return 0;
  if (origin === "flag" && typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== "string") throw new Error(`must be a duration like 90m or 1h30m, got ${kind(value)}`);
  try {
    return parseDuration(value);
  } catch {
    throw new Error(`must be a duration like 90m or 1h30m, got ${kind(value)}`);
  }
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`must be a map of names to strings, got ${kind(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new Error(`value of "${k}" must be a string, got ${kind(v)}`);
  }
  return value as Record<string, string>;
}

/** A short description of a wrong value. Long strings are cut: they may be secrets pasted in the wrong place. */
export function kind(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return value.length > 24 ? "a long string" : `"${value}"`;
  return String(value);
}

/** Edit distance with adjacent transpositions (optimal string alignment): "jbos" is 1 from "jobs". */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/** ` (did you mean "x"?)` for the closest candidate within edit distance 2, else "". */
export function suggest(name: string, candidates: Iterable<string>): string {
  let best: { c: string; d: number } | null = null;
  for (const c of new Set(candidates)) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    // Short names need a closer match: "<<" is not a typo of "os".
    if (d <= Math.min(2, Math.floor(name.length / 2)) && (best === null || d < best.d)) best = { c, d };
  }
  return best ? ` (did you mean "${best.c}"?)` : "";
}
