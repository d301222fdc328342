/**
 * Exclude rules (SPEC §10.2, §10.3): built-ins, then config and .crabboxignore; the last matching rule
 * wins; protected paths always stay excluded; ambiguous build-dir names never drop git-tracked files.
 */

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

/** One rule per line; blank lines and # comments skipped; "!" re-includes, "\!" is a literal "!". */
export function parseRuleLines(text: string, source: Rule["source"]): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("!")) rules.push({ pattern: line.slice(1), include: true, source });
    else rules.push({ pattern: line.startsWith("\\!") ? line.slice(1) : line, include: false, source });
  }
  return rules;
}

function globToRegExp(glob: string, crossDirs: boolean): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*" && glob[i + 1] === "*") {
      i++;
      // "**/" is zero or more whole directories; a bare "**" is anything, slashes included.
      if (glob[i + 1] === "/") {
        out += "(?:.*/)?";
        i++;
      } else out += ".*";
    } else if (ch === "*") out += crossDirs ? ".*" : "[^/]*";
    else if (ch === "?") out += "[^/]";
    else if (ch === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) out += "\\[";
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, "^")}]`;
        i = end;
      }
    } else out += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * Does the pattern match this path? A path matches when it or any parent directory matches, so
 * `node_modules` excludes everything under it. `isDir` says whether the full path is a directory.
 */
export function matches(pattern: string, path: string, isDir = false): boolean {
  const dirOnly = pattern.endsWith("/");
  const body = dirOnly ? pattern.slice(0, -1) : pattern;
  const parts = path.split("/");
  if (body.includes("/")) {
    const anchored = body.replace(/^\//, "");
    const re = globToRegExp(anchored, false);
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join("/");
      const prefixIsDir = n < parts.length || isDir;
      if (dirOnly && !prefixIsDir) continue;
      if (re.test(prefix)) return true;
    }
    return false;
  }
  const re = globToRegExp(body, false);
  return parts.some((part, index) => {
    const partIsDir = index < parts.length - 1 || isDir;
    return (!dirOnly || partIsDir) && re.test(part);
  });
}

export interface Verdict {
  excluded: boolean;
  /** The rule that decided, if any. */
  rule: Rule | null;
  /** A user rule re-included a path a secret rule excluded (allowed for exact paths; warned about). */
  reincludedSecret?: boolean;
}

/** Last matching rule wins; protected always excludes; ambiguous built-ins spare tracked files. */
export function decide(rules: Rule[], path: string, tracked: boolean): Verdict {
  for (const pattern of PROTECTED) {
    if (matches(pattern, path)) {
      return { excluded: true, rule: { pattern, include: false, source: "protected" } };
    }
  }
  let verdict: Verdict = { excluded: false, rule: null };
  for (const rule of rules) {
    if (!matches(rule.pattern, path)) continue;
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
