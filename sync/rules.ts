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
const PROTECTED = [".git", ".crabbox/", ".crabbox-results/"];

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
  return matchesPath(pattern, splitPath(path), isDir);
}

/** A path split once, its prefixes built on first use: decide() tests it against every rule. */
interface SplitPath {
  parts: string[];
  prefixes: string[] | null;
}

function splitPath(path: string): SplitPath {
  return { parts: path.split("/"), prefixes: null };
}

function matchesPath(pattern: string, path: SplitPath, isDir: boolean): boolean {
  const dirOnly = pattern.endsWith("/");
  const body = dirOnly ? pattern.slice(0, -1) : pattern;
  const { parts } = path;
  if (body.includes("/")) {
    const glob = compiled(body.replace(/^\//, ""));
    if (!path.prefixes) {
      path.prefixes = [parts[0]];
      for (let n = 1; n < parts.length; n++) path.prefixes.push(`${path.prefixes[n - 1]}/${parts[n]}`);
    }
    return path.prefixes.some((prefix, n) =>
      (!dirOnly || n < parts.length - 1 || isDir) && glob.test(prefix)
    );
  }
  const glob = compiled(body);
  return parts.some((part, index) => {
    const partIsDir = index < parts.length - 1 || isDir;
    return (!dirOnly || partIsDir) && glob.test(part);
  });
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

/** Last matching rule wins; protected always excludes; ambiguous built-ins spare tracked files. */
export function decide(rules: Rule[], pathText: string, tracked: boolean): Verdict {
  const path = splitPath(pathText);
  for (const pattern of PROTECTED) {
    if (matchesPath(pattern, path, false)) {
      return { excluded: true, rule: { pattern, include: false, source: "protected" } };
    }
  }
  let verdict: Verdict = { excluded: false, rule: null };
  for (const rule of rules) {
    if (!matchesPath(rule.pattern, path, false)) continue;
    const overridesSecret = rule.include && rule.source !== "secret" && verdict.excluded &&
      verdict.rule?.source === "secret";
    if (overridesSecret && /[*?[]/.test(rule.pattern)) {
      continue; // a glob cannot re-include a secret pattern; only an exact path can
    }
    verdict = overridesSecret
      ? { excluded: false, rule, reincludedSecret: true }
      : { excluded: !rule.include, rule };
  }
  if (verdict.excluded && verdict.rule?.ambiguous && tracked) return { excluded: false, rule: verdict.rule };
  return verdict;
}
