/**
 * How `config show` prints a value (SPEC §12.5). Secrets belong in the environment, but a user config
 * or a CRABBOX_* variable can still hold one (only warned about), so anything token-shaped is masked.
 */
import { formatBytes } from "../core/format.ts";
import { formatDuration } from "../core/duration.ts";
import { KEYS } from "./schema.ts";
import { looksLikeSecretValue, secretKeyProblem } from "./secrets.ts";

export const MASK = "***";

/** One shown item, masked when it or its name looks like a secret. */
function shown(text: string, name = ""): string {
  return looksLikeSecretValue(text) || (name && secretKeyProblem(name)) ? MASK : text;
}

/** The text of one key's value: durations and sizes compact, lists comma-joined, maps by their names. */
export function displayValue(key: string, value: unknown): string {
  const type = KEYS[key]?.type;
  if (type === "duration" && typeof value === "number") return formatDuration(value);
  if (type === "size" && typeof value === "number") return formatBytes(value);
  if (Array.isArray(value)) return value.map((item) => shown(String(item))).join(",");
  // A map shows only its names (env.set values never print); a name can be token-shaped too.
  if (typeof value === "object" && value !== null) return Object.keys(value).map((k) => shown(k)).join(",");
  return shown(String(value), key);
}
