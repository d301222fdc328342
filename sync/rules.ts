/**
 * Exclude rules (SPEC §10.2, §10.3): built-ins, then config and .crabboxignore; the last matching rule
 * wins; protected paths always stay excluded; ambiguous build-dir names never drop git-tracked files.
 */
import { configError } from "../core/errors.ts";
import { compileGlob, type Glob } from "./glob.ts";

export interface Rule {
  pattern: string;
  /** "!pat" re-includes. */
  include: boolean;
  source: "builtin" | "secret" | "protected" | "user" | "repo" | "profile" | "crabboxignore";
  /** Build-dir names that must not drop tracked files (†). */
  ambiguous?: boolean;
}

const BUILD_DIRS = [
  ".git",
  "._*",
  "node_modules",
  ".ignored",
  ".turbo",
  ".next",
  ".vite",
  ".parcel-cache",
  ".rollup.cache",
  ".cache",
  ".tmp",
  ".local",
  ".swiftpm",
  ".pnpm-store",
  ".npm",
  ".yarn/cache",
  ".venv",
  "venv",
  "__pycache__",
  ".pytest_cache",
  ".mypy_cache",
  ".ruff_cache",
  ".gradle",
];
const AMBIGUOUS_DIRS = [
  "dist",
  "dist-runtime",
  "coverage",
  "playwright-report",
  "test-results",
  ".build",
  "apps/*/.build",
  "target",
];
const SECRET_PATTERNS = ["*.pem", "*.key", "secrets/", "*.db", "*.sqlite*", "*.log", "logs/"];
const ENV_KEEP = [".env.example", ".env.sample", ".env.template", ".env.dist"];
export const PROTECTED = [".git", ".crabbox/", ".crabbox-results/"];

export function builtinRules(): Rule[] {
  return [
    ...BUILD_DIRS.map((pattern) => ({ pattern, include: false, source: "builtin" as const })),
    ...AMBIGUOUS_DIRS.map((pattern) => ({
      pattern,
      include: false,
      source: "builtin" as const,
      ambiguous: true,
    })),
    { pattern: ".env*", include: false, source: "secret" },
    ...ENV_KEEP.map((pattern) => ({ pattern, include: true, source: "secret" as const })),
    ...SECRET_PATTERNS.map((pattern) => ({ pattern, include: false, source: "secret" as const })),
  ];
}

/**
 * One rule per line; blank lines and # comments skipped; "!" re-includes, "\!" is a literal "!".
 * With `file` (a .crabboxignore), an invalid pattern is a config error at `file:line`.
 */
export function parseRuleLines(text: string, source: Rule["source"], file?: string): Rule[] {
  const rules: Rule[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const rule = line.startsWith("!")
      ? { pattern: line.slice(1), include: true, source }
      : { pattern: line.startsWith("\\!") ? line.slice(1) : line, include: false, source };
    const problem = file === undefined ? null : globProblem(rule.pattern);
    if (problem) {
      throw configError(
        `${file}:${index + 1}: invalid pattern "${line}": ${problem}`,
        "fix or remove that line (patterns use *, ?, [a-z], ** and a trailing / for directories)",
      );
    }
    rules.push(rule);
  });
  return rules;
}

/**
 * Does the pattern match this path? A path matches when it or any parent directory matches, so
 * `node_modules` excludes everything under it. `isDir` says whether the full path is a directory.
 */
export function matches(pattern: string, path: string, isDir = false): boolean {
  return new PathPatterns([pattern]).matching(path, isDir).length > 0;
}

/**
 * Where a pattern stands at a directory: matched there or above (everything below matches), still
 * open, or dead (an anchored pattern no path below can match: the subtree is never tested again).
 */
const DEAD = 0, OPEN = 1, MATCHED = 2;

/** A pattern compiled once. Without "/" it names one path component; with "/" a path prefix. */
class PathPattern {
  readonly dirOnly: boolean;
  readonly anchored: boolean;
  readonly glob: Glob;

  constructor(pattern: string) {
    this.dirOnly = pattern.endsWith("/");
    const body = this.dirOnly ? pattern.slice(0, -1) : pattern;
    this.anchored = body.includes("/");
    this.glob = compiled(this.anchored ? body.replace(/^\//, "") : body);
  }

  /** The state at directory `dir` (its last component `name`), from its parent's state. */
  enter(parent: number, dir: string, name: string): number {
    if (parent !== OPEN) return parent;
    if (!this.anchored) return this.glob.test(name) ? MATCHED : OPEN;
    if (this.glob.test(dir)) return MATCHED;
    return this.glob.viable(`${dir}/`) ? OPEN : DEAD;
  }

  /** Does it match the entry `path` (last component `name`) inside a directory in state `at`? */
  matchEntry(at: number, path: string, name: string, isDir: boolean): boolean {
    if (at !== OPEN) return at === MATCHED;
    if (this.dirOnly && !isDir) return false;
    return this.glob.test(this.anchored ? path : name);
  }
}

/** A directory's pattern states, and the open patterns its entries are tested against. */
interface DirStates {
  states: Uint8Array;
  /** Indices matched at or above this directory. */
  matched: number[];
  /** Open indices to test on each entry (literal component patterns are looked up by name instead). */
  open: number[];
}

/**
 * A pattern list compiled once, decided a directory at a time: each directory's states come from
 * its parent's, so a path costs a name lookup plus one test per open wildcard pattern.
 */
export class PathPatterns {
  readonly #patterns: PathPattern[];
  /** Component patterns without wildcards, by the name they match. */
  readonly #byName = new Map<string, number[]>();
  readonly #dirs = new Map<string, DirStates>();

  constructor(patterns: string[]) {
    this.#patterns = patterns.map((pattern) => new PathPattern(pattern));
    this.#patterns.forEach((pattern, i) => {
      const name = pattern.anchored ? null : pattern.glob.literal;
      if (name !== null) this.#byName.set(name, [...this.#byName.get(name) ?? [], i]);
    });
    this.#dirs.set("", this.#plan(new Uint8Array(this.#patterns.length).fill(OPEN)));
  }

  #plan(states: Uint8Array): DirStates {
    const matched: number[] = [], open: number[] = [];
    states.forEach((state, i) => {
      if (state === MATCHED) matched.push(i);
      else if (state === OPEN && (this.#patterns[i].anchored || this.#patterns[i].glob.literal === null)) {
        open.push(i);
      }
    });
    return { states, matched, open };
  }

  #dir(dir: string): DirStates {
    let found = this.#dirs.get(dir);
    if (found) return found;
    const slash = dir.lastIndexOf("/");
    const parent = this.#dir(slash < 0 ? "" : dir.slice(0, slash)).states;
    const name = dir.slice(slash + 1);
    const states = new Uint8Array(parent.length);
    this.#patterns.forEach((pattern, i) => (states[i] = pattern.enter(parent[i], dir, name)));
    found = this.#plan(states);
    this.#dirs.set(dir, found);
    return found;
  }

  /** The indices of the patterns that match `path` (or a parent directory of it), ascending. */
  matching(path: string, isDir = false): number[] {
    const slash = path.lastIndexOf("/");
    const dir = this.#dir(slash < 0 ? "" : path.slice(0, slash));
    const name = path.slice(slash + 1);
    const extra: number[] = [];
    for (const i of this.#byName.get(name) ?? []) {
      if (dir.states[i] === OPEN && (isDir || !this.#patterns[i].dirOnly)) extra.push(i);
    }
    for (const i of dir.open) {
      if (this.#patterns[i].matchEntry(OPEN, path, name, isDir)) extra.push(i);
    }
    return extra.length === 0 ? dir.matched : [...dir.matched, ...extra].sort((a, b) => a - b);
  }
}

/** The problem with a pattern, or null; rules from config and .crabboxignore are checked with it. */
export function globProblem(pattern: string): string | null {
  const result = compileGlob(pattern.endsWith("/") ? pattern.slice(0, -1) : pattern);
  return typeof result === "string" ? result : null;
}

const cache = new Map<string, Glob>();

function compiled(glob: string): Glob {
  let found = cache.get(glob);
  if (!found) {
    const result = compileGlob(glob);
    if (typeof result === "string") {
      throw configError(`invalid sync pattern "${glob}": ${result}`, "fix or remove that pattern");
    }
    found = result;
    cache.set(glob, found);
  }
  return found;
}

export interface Verdict {
  excluded: boolean;
  /** The rule that decided, if any. */
  rule: Rule | null;
  /** A user rule re-included a path a secret rule excluded (allowed for exact paths; warned about). */
  reincludedSecret?: boolean;
}

/** No rule matched: shared (verdicts are read, never changed), one allocation less per path. */
const UNMATCHED: Verdict = Object.freeze({ excluded: false, rule: null });

/** Last matching rule wins; protected always excludes; ambiguous built-ins spare tracked files. */
export function decide(rules: Rule[], path: string, tracked: boolean): Verdict {
  return new RuleSet(rules).decide(path, tracked);
}

/** A rule list compiled once (its globs, its per-directory states) for deciding many paths. */
export class RuleSet {
  readonly #rules: Rule[];
  /** PROTECTED first, then the rules. */
  readonly #patterns: PathPatterns;

  constructor(rules: Rule[]) {
    this.#rules = [...rules];
    this.#patterns = new PathPatterns([...PROTECTED, ...this.#rules.map((rule) => rule.pattern)]);
  }

  decide(path: string, tracked: boolean): Verdict {
    let verdict: Verdict = UNMATCHED;
    for (const index of this.#patterns.matching(path)) {
      if (index < PROTECTED.length) {
        return { excluded: true, rule: { pattern: PROTECTED[index], include: false, source: "protected" } };
      }
      const rule = this.#rules[index - PROTECTED.length];
      const overridesSecret = rule.include && rule.source !== "secret" && verdict.excluded &&
        verdict.rule?.source === "secret";
      if (overridesSecret && /[*?[]/.test(rule.pattern)) {
        continue; // a glob cannot re-include a secret pattern; only an exact path can
      }
      verdict = overridesSecret
        ? { excluded: false, rule, reincludedSecret: true }
        : { excluded: !rule.include, rule };
    }
    if (verdict.excluded && verdict.rule?.ambiguous && tracked) {
      return { excluded: false, rule: verdict.rule };
    }
    return verdict;
  }
}
