/**
 * Glob patterns for sync rules (SPEC §10.3), matched by simulating the pattern as an NFA over the
 * path: time is O(path × pattern) whatever the pattern. The regex translation this replaces backtracked
 * exponentially (25 "*" in one pattern hung for minutes).
 *
 * `*` any run without "/", `?` one character but "/", `[a-z]`/`[!a-z]`/`[^a-z]` one character of a set
 * (never "/"), `**` followed by "/" zero or more whole directories, any other `**` anything. Everything
 * else, backslash included, is literal; an unclosed "[" is literal too.
 */

const SLASH = 0x2f;
/** Longer than any real path (PATH_MAX); bounds the per-character work. */
const MAX_PATTERN_LENGTH = 4096;

type Token =
  | { kind: "char"; code: number }
  | { kind: "one" }
  | { kind: "set"; negated: boolean; ranges: [number, number][] }
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "dirs" };

/** A compiled pattern, or the problem that makes it invalid. */
export function compileGlob(pattern: string): Glob | string {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") {
        tokens.push({ kind: "dirs" });
        i++;
      } else tokens.push({ kind: "any" });
    } else if (ch === "*") tokens.push({ kind: "star" });
    else if (ch === "?") tokens.push({ kind: "one" });
    else if (ch === "[" && pattern.indexOf("]", i) > i) {
      const end = pattern.indexOf("]", i);
      const set = parseSet(pattern.slice(i + 1, end));
      if (typeof set === "string") return set;
      tokens.push(set);
      i = end;
    } else tokens.push({ kind: "char", code: pattern.charCodeAt(i) });
  }
  return new Glob(simplify(tokens));
}

function parseSet(body: string): Token | string {
  const negated = body.startsWith("!") || body.startsWith("^");
  const members = negated ? body.slice(1) : body;
  if (members === "") return `empty character class [${body}]`;
  const ranges: [number, number][] = [];
  for (let j = 0; j < members.length; j++) {
    const lo = members.charCodeAt(j);
    if (members[j + 1] === "-" && j + 2 < members.length) {
      const hi = members.charCodeAt(j + 2);
      if (lo > hi) return `character range "${members.slice(j, j + 3)}" is reversed`;
      ranges.push([lo, hi]);
      j += 2;
    } else ranges.push([lo, lo]);
  }
  return { kind: "set", negated, ranges };
}

/** Adjacent stars collapse: `**` next to `*` is still "anything", `*` next to `*` still one run. */
function simplify(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if ((token.kind === "star" || token.kind === "any") && (last?.kind === "star" || last?.kind === "any")) {
      if (token.kind === "any") out[out.length - 1] = token;
      continue;
    }
    out.push(token);
  }
  return out;
}

/**
 * States 0..n-1 sit before token i, n accepts; a dirs token i (`**` then "/") also has an inner state
 * n+1+i ("inside the directories, waiting for a /"). Star-like tokens can be skipped (epsilon moves).
 */
export class Glob {
  readonly #tokens: Token[];
  /** The whole pattern when it has no wildcard: plain string equality. */
  readonly #literal: string | null;
  readonly #prefix: string;
  readonly #suffix: string;
  /** The longest run of plain characters: any matching text contains it. */
  readonly #infix: string;
  readonly #marks: Int32Array;
  #generation = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
    const chars = (list: Token[]) => String.fromCharCode(...list.map((t) => (t as { code: number }).code));
    const firstWild = tokens.findIndex((t) => t.kind !== "char");
    const lastWild = tokens.findLastIndex((t) => t.kind !== "char");
    this.#literal = firstWild < 0 ? chars(tokens) : null;
    this.#prefix = firstWild < 0 ? "" : chars(tokens.slice(0, firstWild));
    this.#suffix = firstWild < 0 ? "" : chars(tokens.slice(lastWild + 1));
    this.#infix = longestLiteralRun(tokens);
    this.#marks = new Int32Array(2 * tokens.length + 1);
  }

  /** The whole pattern when it has no wildcard, else null. */
  get literal(): string | null {
    return this.#literal;
  }

  test(text: string): boolean {
    if (this.#literal !== null) return text === this.#literal;
    if (!text.startsWith(this.#prefix) || !text.endsWith(this.#suffix)) return false;
    if (!text.includes(this.#infix)) return false;
    return this.#simulate(text).includes(this.#tokens.length);
  }

  /**
   * Could some text that starts with `prefix` match? False lets a directory's subtree skip this
   * pattern (the states left after the prefix are its only way on; none left, no match below).
   */
  viable(prefix: string): boolean {
    if (this.#literal !== null) return this.#literal.startsWith(prefix);
    const head = this.#prefix;
    if (!(prefix.length >= head.length ? prefix.startsWith(head) : head.startsWith(prefix))) return false;
    return this.#simulate(prefix).length > 0;
  }

  /** The NFA's live states after reading all of text. */
  #simulate(text: string): number[] {
    const tokens = this.#tokens;
    const n = tokens.length;
    let current: number[] = [];
    let next: number[] = [];
    const add = (list: number[], state: number) => {
      for (;;) {
        if (this.#marks[state] === this.#generation) return;
        this.#marks[state] = this.#generation;
        list.push(state);
        const kind = state < n ? tokens[state].kind : null;
        if (kind !== "star" && kind !== "any" && kind !== "dirs") return;
        state++;
      }
    };
    this.#step();
    add(current, 0);
    for (let i = 0; i < text.length && current.length > 0; i++) {
      const code = text.charCodeAt(i);
      this.#step();
      next.length = 0;
      for (const state of current) {
        if (state > n) {
          add(next, state);
          if (code === SLASH) add(next, state - n);
          continue;
        }
        if (state === n) continue;
        const token = tokens[state];
        switch (token.kind) {
          case "char":
            if (code === token.code) add(next, state + 1);
            break;
          case "one":
            if (code !== SLASH) add(next, state + 1);
            break;
          case "set":
            if (code !== SLASH && inSet(token, code)) add(next, state + 1);
            break;
          case "star":
            if (code !== SLASH) add(next, state);
            break;
          case "any":
            add(next, state);
            break;
          case "dirs":
            add(next, n + 1 + state);
            if (code === SLASH) add(next, state + 1);
            break;
        }
      }
      [current, next] = [next, current];
    }
    return current;
  }

  /** A fresh mark generation: states seen in this step are those marked with it. */
  #step(): void {
    this.#generation++;
    if (this.#generation === 0x7fffffff) {
      this.#marks.fill(0);
      this.#generation = 1;
    }
  }
}

function longestLiteralRun(tokens: Token[]): string {
  let best = "", run = "";
  for (const token of tokens) {
    run = token.kind === "char" ? run + String.fromCharCode(token.code) : "";
    if (run.length > best.length) best = run;
  }
  return best;
}

function inSet(token: { negated: boolean; ranges: [number, number][] }, code: number): boolean {
  const inside = token.ranges.some(([lo, hi]) => code >= lo && code <= hi);
  return inside !== token.negated;
}
