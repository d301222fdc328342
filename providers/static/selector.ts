/** The label selectors crabbox sends (`k=v`, `k!=v`, `k`, `!k`, joined by commas), matched locally. Pure. */
import type { Labels } from "../hetzner/port.ts";

/** Whether labels satisfy every term of the selector; an empty selector matches all. */
export function matchesSelector(selector: string | undefined, labels: Labels): boolean {
  if (!selector) return true;
  return selector.split(",").map((term) => term.trim()).filter(Boolean).every((term) => {
    const compare = term.match(/^([^=!]+?)\s*(==|!=|=)\s*(.*)$/);
    if (compare) {
      const [, key, op, value] = compare;
      return op === "!=" ? labels[key] !== value : labels[key] === value;
    }
    if (term.startsWith("!")) return !(term.slice(1) in labels);
    return term in labels;
  });
}
