/** Hetzner's label syntax and selector grammar (HARNESS §3), enforced by the fake. */

const KEY =
  /^([a-z0-9A-Z]((?:[\-_.]|[a-z0-9A-Z]){0,253}[a-z0-9A-Z])?\/)?[a-z0-9A-Z]((?:[\-_.]|[a-z0-9A-Z]|){0,61}[a-z0-9A-Z])?$/;
const VALUE = /^(([a-z0-9A-Z](?:[\-_.]|[a-z0-9A-Z]){0,61})?[a-z0-9A-Z]$|$)/;

export function labelProblem(labels: unknown): string | null {
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    return "labels must be an object";
  }
  for (const [key, value] of Object.entries(labels)) {
    if (!KEY.test(key) || key.startsWith("hetzner.cloud/")) return `invalid label key "${key}"`;
    if (typeof value !== "string" || !VALUE.test(value)) return `invalid label value for "${key}"`;
  }
  return null;
}

type Term = (labels: Record<string, string>) => boolean;

// Label keys and values can only hold these; anything else (`<`, `>`, spaces inside) is rejected.
const K = "[A-Za-z0-9._/-]+";
const V = "[A-Za-z0-9._-]*";
const IN = new RegExp(`^(${K})\\s+(in|notin)\\s+\\(((?:\\s*${V}\\s*,)*\\s*${V}\\s*)\\)\\s*(,|$)`);
const COMPARE = new RegExp(`^(${K})\\s*(==|!=|=)\\s*(${V})\\s*(,|$)`);
const ABSENT = new RegExp(`^!(${K})\\s*(,|$)`);
const PRESENT = new RegExp(`^(${K})\\s*(,|$)`);

/** Parses `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)` joined by commas. */
export function parseSelector(selector: string): Term | null {
  const terms: Term[] = [];
  let rest = selector.trim();
  while (rest.length > 0) {
    let match: RegExpMatchArray | null;
    if ((match = rest.match(IN))) {
      const [, key, op, list] = match;
      const values = list.split(",").map((v) => v.trim());
      terms.push(
        op === "in"
          ? (l) => key in l && values.includes(l[key])
          : (l) => !(key in l) || !values.includes(l[key]),
      );
    } else if ((match = rest.match(COMPARE))) {
      const [, key, op, value] = match;
      terms.push(op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((match = rest.match(ABSENT))) {
      const key = match[1];
      terms.push((l) => !(key in l));
    } else if ((match = rest.match(PRESENT))) {
      const key = match[1];
      terms.push((l) => key in l);
    } else {
      return null;
    }
    rest = rest.slice(match[0].length).trim();
    if (match[0].trimEnd().endsWith(",") && rest.length === 0) return null;
  }
  return (labels) => terms.every((t) => t(labels));
}
