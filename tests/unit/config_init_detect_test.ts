/** `crabbox init`'s project detection (config/init_detect.ts): root files in, proposal out. Table-driven. */
import assert from "node:assert/strict";
import { detectProject, makeTarget, type RepoSnapshot } from "../../config/init_detect.ts";

const TEST_SCRIPT = JSON.stringify({ scripts: { test: "vitest run" } });
const NPM_PLACEHOLDER = JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } });

/** A root with these files (text for the ones detection reads) and these names in tests/. */
function root(files: Record<string, string>, testsDir: string[] = []): RepoSnapshot {
  const names = Object.keys(files);
  if (testsDir.length > 0) names.push("tests");
  return { names, texts: files, testsDir };
}

Deno.test("each kind is detected from its files, with its command, excludes and env", () => {
  const rows: [string, RepoSnapshot, string[], string | null, string[], string[]][] = [
    // name, root, kinds, first command, excludes, envAllow
    [
      "pnpm",
      root({ "pnpm-lock.yaml": "", "package.json": TEST_SCRIPT }),
      ["pnpm"],
      "pnpm install --frozen-lockfile && pnpm test",
      ["node_modules", ".pnpm-store"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "yarn classic",
      root({ "yarn.lock": "", "package.json": TEST_SCRIPT }),
      ["yarn"],
      "yarn install --frozen-lockfile && yarn test",
      ["node_modules"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "yarn berry",
      root({ "yarn.lock": "", ".yarnrc.yml": "", "package.json": TEST_SCRIPT }),
      ["yarn"],
      "yarn install --immutable && yarn test",
      ["node_modules"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "npm with a lockfile",
      root({ "package-lock.json": "", "package.json": TEST_SCRIPT }),
      ["npm"],
      "npm ci && npm test",
      ["node_modules"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "npm: package.json with a test script",
      root({ "package.json": TEST_SCRIPT }),
      ["npm"],
      "npm install && npm test",
      ["node_modules"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "npm lockfile, only npm's placeholder test: the kind, no command",
      root({ "package-lock.json": "", "package.json": NPM_PLACEHOLDER }),
      ["npm"],
      null,
      ["node_modules"],
      ["CI", "NODE_OPTIONS"],
    ],
    ["package.json without tests or lockfile: nothing", root({ "package.json": "{}" }), [], null, [], ["CI"]],
    [
      "a broken package.json under a pnpm lockfile: the kind, no command",
      root({ "pnpm-lock.yaml": "", "package.json": "{ not json" }),
      ["pnpm"],
      null,
      ["node_modules", ".pnpm-store"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "pnpm wins over a stray package-lock.json",
      root({ "pnpm-lock.yaml": "", "package-lock.json": "", "package.json": TEST_SCRIPT }),
      ["pnpm"],
      "pnpm install --frozen-lockfile && pnpm test",
      ["node_modules", ".pnpm-store"],
      ["CI", "NODE_OPTIONS"],
    ],
    [
      "cargo",
      root({ "Cargo.toml": '[package]\nname = "x"\n' }),
      ["cargo"],
      "cargo test",
      ["target/"],
      ["CI", "RUST_LOG", "RUST_BACKTRACE"],
    ],
    [
      "cargo workspace",
      root({ "Cargo.toml": '[workspace]\nmembers = ["a"]\n' }),
      ["cargo"],
      "cargo test --workspace",
      ["target/"],
      ["CI", "RUST_LOG", "RUST_BACKTRACE"],
    ],
    ["go", root({ "go.mod": "module x\n" }), ["go"], "go test ./...", [], ["CI", "GOFLAGS"]],
    ...[
      ["pytest.ini", root({ "pytest.ini": "" })],
      ["pyproject [tool.pytest.ini_options]", root({ "pyproject.toml": "[tool.pytest.ini_options]\n" })],
      ["pyproject dev dependency", root({ "pyproject.toml": 'dev = ["pytest>=8"]\n' })],
      ["setup.cfg [tool:pytest]", root({ "setup.cfg": "[tool:pytest]\naddopts = -q\n" })],
      ["tox.ini [pytest]", root({ "tox.ini": "[tox]\n[pytest]\n" })],
      ["tests/test_*.py", root({}, ["test_app.py"])],
      ["tests/*_test.py", root({}, ["app_test.py"])],
      ["conftest.py at the root", root({ "conftest.py": "" })],
    ].map(([name, snapshot]) =>
      [
        `pytest: ${name}`,
        snapshot as RepoSnapshot,
        ["pytest"],
        "python3 -m pytest",
        [".venv", "__pycache__", ".pytest_cache", ".tox"],
        ["CI", "PYTEST_ADDOPTS"],
      ] as [string, RepoSnapshot, string[], string, string[], string[]]
    ),
    [
      "pytest with uv",
      root({ "pyproject.toml": "[tool.pytest.ini_options]\n", "uv.lock": "" }),
      ["pytest"],
      "uv run pytest",
      [".venv", "__pycache__", ".pytest_cache", ".tox"],
      ["CI", "PYTEST_ADDOPTS"],
    ],
    [
      "pytest with poetry",
      root({ "pytest.ini": "", "poetry.lock": "" }),
      ["pytest"],
      "poetry install && poetry run pytest",
      [".venv", "__pycache__", ".pytest_cache", ".tox"],
      ["CI", "PYTEST_ADDOPTS"],
    ],
    ["pyproject without pytest: nothing", root({ "pyproject.toml": "[project]\nname='x'\n" }), [], null, [], [
      "CI",
    ]],
    ["tests/ without python tests: nothing", root({}, ["app.spec.ts"]), [], null, [], ["CI"]],
    ["make test", root({ Makefile: "test:\n\tgo test ./...\n" }), ["make"], "make test", [], ["CI"]],
    ["make check", root({ Makefile: "check: lint\n\t./ci\n" }), ["make"], "make check", [], ["CI"]],
    ["GNUmakefile", root({ GNUmakefile: "test:\n\ttrue\n" }), ["make"], "make test", [], ["CI"]],
    ["a Makefile without test or check", root({ Makefile: "build:\n\tcc x.c\n" }), [], null, [], ["CI"]],
    [
      "make first, then the language's own runner; excludes and env of every kind",
      root({ Makefile: "test:\n\tcargo test\n", "Cargo.toml": "", "go.mod": "" }),
      ["make", "cargo", "go"],
      "make test",
      ["target/"],
      ["CI", "RUST_LOG", "RUST_BACKTRACE", "GOFLAGS"],
    ],
    ["an empty repo", root({}), [], null, [], ["CI"]],
  ];
  for (const [name, snapshot, kinds, command, excludes, envAllow] of rows) {
    const detection = detectProject(snapshot);
    assert.deepEqual(detection.kinds, kinds, name);
    assert.equal(detection.commands[0]?.command ?? null, command, name);
    assert.deepEqual(detection.excludes, excludes, name);
    assert.deepEqual(detection.envAllow, envAllow, name);
  }
});

Deno.test("every kind with a command offers it, best first, with the tools it needs", () => {
  const detection = detectProject(
    root({ Makefile: "check:\n", "pnpm-lock.yaml": "", "package.json": TEST_SCRIPT, "go.mod": "" }),
  );
  assert.deepEqual(detection.commands, [
    { kind: "make", command: "make check", tools: ["make"] },
    { kind: "pnpm", command: "pnpm install --frozen-lockfile && pnpm test", tools: ["node", "pnpm"] },
    { kind: "go", command: "go test ./...", tools: ["go"] },
  ]);
});

Deno.test("a Makefile target is a rule, not a variable, a .PHONY list or a recipe line", () => {
  const rows: [string, "test" | "check" | null][] = [
    ["test:\n\t./run\n", "test"],
    ["test: build lint\n", "test"],
    ["test:: a\n", "test"],
    ["unit test: x\n", "test"],
    ["check:\n\tx\ntest:\n", "test"],
    ["check:\n", "check"],
    [".PHONY: test check\nall:\n", null],
    ["test := go test\n", null],
    ["test ::= x\n", null],
    ["test = x\n", null],
    ["all:\n\ttest: not a rule\n", null],
    ["# test:\n", null],
    ["testing:\n", null],
    ["$(BIN): main.c\n", null],
  ];
  for (const [makefile, expected] of rows) assert.equal(makeTarget(makefile), expected, makefile);
});
