/**
 * Collects every problem of a config file (or of all config files) in one pass, so a user fixes them all
 * at once instead of one per run. Each problem is a located message (`file:line:col: …`) and its fix.
 */
import { configError, CrabboxError, type Problem } from "../core/errors.ts";

export class Problems {
  readonly list: Problem[] = [];

  /** One problem per place: a second one at the same file:line:col (a secret-looking key that is also
   * unknown) would only repeat the first in other words. */
  add(message: string, hint?: string): void {
    const place = placeOf(message);
    if (this.list.some((p) => p.message === message || (place !== null && placeOf(p.message) === place))) {
      return;
    }
    this.list.push({ message, hint });
  }

  /** Runs `work`; a config or usage error it throws becomes a problem (and `work`'s result is undefined). */
  collect<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      if (!(error instanceof CrabboxError) || (error.kind !== "config" && error.kind !== "usage")) {
        throw error;
      }
      if (error.problems.length > 0) { for (const p of error.problems) this.add(p.message, p.hint); }
      else this.add(error.message, error.hint);
      return undefined;
    }
  }

  /** Throws one error for everything collected: a single problem as itself, several as a list. */
  throwIfAny(): void {
    const error = problemsError(this.list);
    if (error) throw error;
  }
}

/** Problems sorted by file and position; null when there are none. */
function problemsError(list: Problem[]): CrabboxError | null {
  if (list.length === 0) return null;
  const order = new Map<string, number>();
  for (const p of list) {
    const file = position(p.message)?.file ?? "";
    if (!order.has(file)) order.set(file, order.size);
  }
  const key = (p: Problem) => {
    const at = position(p.message);
    return [order.get(at?.file ?? "")!, at?.line ?? 0, at?.col ?? 0];
  };
  const sorted = list.map((p, i) => ({ p, i, k: key(p) })).sort((a, b) =>
    a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i
  ).map((x) => x.p);
  if (sorted.length === 1) return configError(sorted[0].message, sorted[0].hint);
  const files = [...new Set(sorted.map((p) => position(p.message)?.file).filter(Boolean))];
  return new CrabboxError("config", sorted.map((p) => p.message).join("\n"), {
    hint: `${sorted.length} problems${files.length ? ` in ${files.join(", ")}` : ""}; fix each one above`,
    problems: sorted,
  });
}

const POSITION = /^(.*?):(\d+)(?::(\d+))?: /;

function position(message: string): { file: string; line: number; col: number } | null {
  const m = message.match(POSITION);
  return m ? { file: m[1], line: Number(m[2]), col: Number(m[3] ?? 0) } : null;
}

function placeOf(message: string): string | null {
  return message.match(/^(.+?:\d+:\d+): /)?.[1] ?? null;
}
