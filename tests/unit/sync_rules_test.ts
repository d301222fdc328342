import assert from "node:assert/strict";
import {
  builtinRules,
  decide,
  matches,
  parseRuleLines,
  PathPatterns,
  PROTECTED,
  RuleSet,
} from "../../sync/rules.ts";
import { compileGlob, type Glob } from "../../sync/glob.ts";

Deno.test("matcher (SPEC §10.3)", () => {
  const rows: [string, string, boolean][] = [
    ["node_modules", "node_modules/x/y.js", true],
    ["node_modules", "src/node_modules/a", true],
    ["*.log", "logs/app.log", true],
    ["*.log", "app.logger.ts", false],
    ["secrets/", "secrets/x", true],
    ["secrets/", "secrets", false],
    ["docs/*.md", "docs/a.md", true],
    ["docs/*.md", "docs/sub/a.md", false],
    ["docs/**/*.md", "docs/sub/a.md", true],
    ["apps/*/.build", "apps/web/.build/x", true],
    ["/dist", "dist/x", true],
    ["[ab].txt", "a.txt", true],
  ];
  for (const [pattern, path, expected] of rows) {
    assert.equal(matches(pattern, path), expected, `${pattern} ~ ${path}`);
  }
});

Deno.test("default excludes: secrets even when tracked, build dirs spare tracked files", () => {
  const rules = builtinRules();
  const rows: [string, boolean, boolean][] = [
    // path, tracked, excluded
    [".env", false, true],
    [".env.local", true, true],
    [".env.example", true, false],
    ["config/dev.key", true, true],
    ["secrets/x", false, true],
    ["a.sqlite-wal", false, true],
    ["logs/x", false, true],
    ["node_modules/x", false, true],
    [".venv/x", false, true],
    ["dist/schema.json", true, false],
    ["dist/bundle.js", false, true],
    ["target/debug/x", true, false],
    ["coverage/lcov.info", false, true],
    [".git/config", true, true],
    [".crabbox-results/x.json", false, true],
    ["src/app.ts", true, false],
  ];
  for (const [path, tracked, excluded] of rows) {
    assert.equal(decide(rules, path, tracked).excluded, excluded, path);
  }
});

Deno.test("last match wins; protected cannot be re-included; globs cannot re-include secrets", () => {
  const rules = [
    ...builtinRules(),
    ...parseRuleLines("# comment\n\n!node_modules\n!.git\n!*.pem\n!certs/ca.pem\n\\!odd\n", "crabboxignore"),
  ];
  assert.equal(decide(rules, "node_modules/x", false).excluded, false);
  assert.equal(decide(rules, ".git/HEAD", false).excluded, true);
  assert.equal(decide(rules, "other.pem", false).excluded, true);
  assert.equal(decide(rules, "certs/ca.pem", false).excluded, false);
  assert.equal(decide(rules, "!odd", false).excluded, true);
});

Deno.test("** crosses whole directories only", () => {
  const rows: [string, string, boolean][] = [
    ["**/fixtures", "fixtures/a", true],
    ["**/fixtures", "test/unit/fixtures/a", true],
    ["**/fixtures", "myfixtures/a", false],
    ["src/**/gen.ts", "src/gen.ts", true],
    ["src/**/gen.ts", "src/a/b/gen.ts", true],
    ["src/**", "src/a/b", true],
    ["/build/", "build/x", true],
    ["/build/", "sub/build/x", false],
  ];
  for (const [pattern, path, expected] of rows) {
    assert.equal(matches(pattern, path), expected, `${pattern} ~ ${path}`);
  }
});

Deno.test("re-included secrets are flagged; built-in keeps and plain re-includes are not", () => {
  const rules = [...builtinRules(), ...parseRuleLines("!certs/ca.pem\n!.env.example\n!dist\n", "repo")];
  assert.equal(decide(rules, "certs/ca.pem", true).reincludedSecret, true);
  assert.equal(decide(rules, ".env.example", true).reincludedSecret, undefined);
  assert.equal(decide(builtinRules(), ".env.example", true).reincludedSecret, undefined);
  assert.equal(decide(rules, "dist/x.js", false).excluded, false);
  assert.equal(decide(rules, "dist/x.js", false).reincludedSecret, undefined);
});

/** The per-path definition (SPEC §10.3): the path or a parent directory matches, tested one by one. */
function byDefinition(pattern: string, path: string, isDir: boolean): boolean {
  const dirOnly = pattern.endsWith("/");
  const body = dirOnly ? pattern.slice(0, -1) : pattern;
  const parts = path.split("/");
  const anchored = body.includes("/");
  const glob = compileGlob(anchored ? body.replace(/^\//, "") : body) as Glob;
  return parts.some((part, n) =>
    (!dirOnly || n < parts.length - 1 || isDir) &&
    glob.test(anchored ? parts.slice(0, n + 1).join("/") : part)
  );
}

Deno.test("decided per directory, compiled once: the same answers as path by path", () => {
  const patterns = [
    ...builtinRules().map((rule) => rule.pattern),
    ...PROTECTED,
    "docs/**/*.md",
    "/build/",
    "src/*/gen",
    "**/fixtures",
    "a/**",
    "x/*",
    "[ab]*/c?",
    "deep/er/est",
    "*.ts",
  ];
  const paths = [
    "src/app.ts",
    "src/node_modules/x/y.js",
    "apps/web/.build/out.js",
    "apps/web/src/.build",
    "src/apps/web/.build/x",
    "docs/a.md",
    "docs/sub/deeper/a.md",
    "build/x",
    "sub/build/x",
    "src/core/gen/file",
    "src/core/gen",
    "test/unit/fixtures/a",
    "a/b/c",
    "a",
    "x/a/b",
    "bz/cq/x",
    "deep/er/est/file",
    "deep/er/other",
    ".yarn/cache/pkg.zip",
    "logs",
    "logs/x",
    "secrets/key",
    ".env.example",
    "config/.env.local",
    "d0/e0/f1.txt",
  ];
  const compiled = new PathPatterns(patterns);
  // Mixed order and repeats: a directory's states are cached across paths.
  for (const path of [...paths, ...[...paths].reverse()]) {
    for (const isDir of [false, true]) {
      const expected = patterns.flatMap((pattern, i) => byDefinition(pattern, path, isDir) ? [i] : []);
      assert.deepEqual(compiled.matching(path, isDir), expected, `${path} (dir: ${isDir})`);
    }
  }
  const rules = [...builtinRules(), ...parseRuleLines("!node_modules/keep.js\n!certs/ca.pem\n", "repo")];
  const set = new RuleSet(rules);
  for (const path of [...paths, "node_modules/keep.js", "node_modules/drop.js", "certs/ca.pem"]) {
    for (const tracked of [false, true]) {
      assert.deepEqual(set.decide(path, tracked), decide(rules, path, tracked), path);
    }
  }
  assert.equal(set.decide("node_modules/keep.js", false).excluded, false, "a later rule re-includes below");
});
