/**
 * What kind of project a repository is, from the files at its root, and what `crabbox init` proposes for
 * it: a test command per kind (best first), sync excludes and an env allowlist. Pure: a snapshot of the
 * root in, the proposal out; config/init.ts reads the snapshot through Deps.
 */

export const PROJECT_KINDS = ["make", "pnpm", "yarn", "npm", "cargo", "go", "pytest"] as const;
export type ProjectKind = typeof PROJECT_KINDS[number];

/** The root files whose text detection reads (the rest is decided by names alone). */
export const PROBE_FILES = [
  "package.json",
  "Cargo.toml",
  "pyproject.toml",
  "setup.cfg",
  "tox.ini",
  "Makefile",
  "makefile",
  "GNUmakefile",
] as const;

/** The root of a repository as detection sees it. */
export interface RepoSnapshot {
  /** Every name at the root. */
  names: string[];
  /** Text of the PROBE_FILES present as regular files (others: absent). */
  texts: Partial<Record<typeof PROBE_FILES[number], string>>;
  /** Names in tests/ (empty without one). */
  testsDir: string[];
}

export interface TestCommand {
  kind: ProjectKind;
  command: string;
  /** What the command needs on the box (a run.preflightTools suggestion). */
  tools: string[];
}

export interface Detection {
  /** In PROJECT_KINDS order (which is also the order of preference of their commands). */
  kinds: ProjectKind[];
  /** One per kind that can run tests, best first: a Makefile target is the repo's own entry point. */
  commands: TestCommand[];
  /** Sync excludes for the kinds' build and cache directories. */
  excludes: string[];
  /** Variables to forward: CI always, then the kinds' own. */
  envAllow: string[];
}

const EXCLUDES: Record<ProjectKind, string[]> = {
  make: [],
  pnpm: ["node_modules", ".pnpm-store"],
  yarn: ["node_modules"],
  npm: ["node_modules"],
  cargo: ["target/"],
  go: [],
  pytest: [".venv", "__pycache__", ".pytest_cache", ".tox"],
};

const ENV_ALLOW: Record<ProjectKind, string[]> = {
  make: [],
  pnpm: ["NODE_OPTIONS"],
  yarn: ["NODE_OPTIONS"],
  npm: ["NODE_OPTIONS"],
  cargo: ["RUST_LOG", "RUST_BACKTRACE"],
  go: ["GOFLAGS"],
  pytest: ["PYTEST_ADDOPTS"],
};

/** npm's placeholder for "no tests yet": not a test script. */
const NPM_PLACEHOLDER = /no test specified/;

function testScript(packageJson: string | undefined): boolean {
  if (packageJson === undefined) return false;
  try {
    const scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts;
    const test = scripts?.test;
    return typeof test === "string" && test.trim() !== "" && !NPM_PLACEHOLDER.test(test);
  } catch {
    return false; // a broken package.json proposes no command; the user types one
  }
}

/** The first of `test` and `check` that a Makefile defines as a target (not `.PHONY:` or `test := x`). */
export function makeTarget(makefile: string): "test" | "check" | null {
  const targets = new Set<string>();
  for (const match of makefile.matchAll(/^([^\s:#=][^:#=]*?)[ \t]*::?(?![:=])/gm)) {
    for (const name of match[1].split(/\s+/)) targets.add(name);
  }
  return targets.has("test") ? "test" : targets.has("check") ? "check" : null;
}

function usesPytest(s: RepoSnapshot): boolean {
  const { texts } = s;
  if (s.names.includes("pytest.ini") || s.names.includes("conftest.py")) return true;
  if (texts["pyproject.toml"] && /\[tool\.pytest|\bpytest\b/.test(texts["pyproject.toml"])) return true;
  if (texts["setup.cfg"]?.includes("[tool:pytest]")) return true;
  if (texts["tox.ini"] && /^\[pytest\]/m.test(texts["tox.ini"])) return true;
  return s.testsDir.some((name) => /^(test_.*|.*_test)\.py$|^conftest\.py$/.test(name));
}

function makefileText(s: RepoSnapshot): string | undefined {
  return s.texts.GNUmakefile ?? s.texts.makefile ?? s.texts.Makefile;
}

/** Each kind present, with its test command when it has one. */
function detectKinds(s: RepoSnapshot): Map<ProjectKind, TestCommand | null> {
  const has = (name: string) => s.names.includes(name);
  const found = new Map<ProjectKind, TestCommand | null>();
  const add = (kind: ProjectKind, command: string | null, tools: string[]) =>
    found.set(kind, command === null ? null : { kind, command, tools });
  const makefile = makefileText(s);
  const target = makefile === undefined ? null : makeTarget(makefile);
  if (target) add("make", `make ${target}`, ["make"]);
  const script = testScript(s.texts["package.json"]);
  // One package manager: the lockfile says which.
  if (has("pnpm-lock.yaml")) {
    add("pnpm", script ? "pnpm install --frozen-lockfile && pnpm test" : null, ["node", "pnpm"]);
  } else if (has("yarn.lock")) {
    const frozen = has(".yarnrc.yml") ? "--immutable" : "--frozen-lockfile";
    add("yarn", script ? `yarn install ${frozen} && yarn test` : null, ["node", "yarn"]);
  } else if (has("package-lock.json") || script) {
    const install = has("package-lock.json") ? "npm ci" : "npm install";
    add("npm", script ? `${install} && npm test` : null, ["node", "npm"]);
  }
  if (has("Cargo.toml")) {
    const workspace = /^\[workspace\]/m.test(s.texts["Cargo.toml"] ?? "");
    add("cargo", workspace ? "cargo test --workspace" : "cargo test", ["cargo"]);
  }
  if (has("go.mod")) add("go", "go test ./...", ["go"]);
  if (usesPytest(s)) {
    if (has("uv.lock")) add("pytest", "uv run pytest", ["uv"]);
    else if (has("poetry.lock")) add("pytest", "poetry install && poetry run pytest", ["poetry"]);
    else add("pytest", "python3 -m pytest", ["python3"]);
  }
  return found;
}

export function detectProject(snapshot: RepoSnapshot): Detection {
  const found = detectKinds(snapshot);
  const kinds = PROJECT_KINDS.filter((kind) => found.has(kind));
  const unique = (list: string[]) => [...new Set(list)];
  return {
    kinds,
    commands: kinds.map((kind) => found.get(kind)).filter((c): c is TestCommand => !!c),
    excludes: unique(kinds.flatMap((kind) => EXCLUDES[kind])),
    envAllow: unique(["CI", ...kinds.flatMap((kind) => ENV_ALLOW[kind])]),
  };
}
