import assert from "node:assert/strict";
import { builtinRules, decide, matches, parseRuleLines } from "../../sync/rules.ts";

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
