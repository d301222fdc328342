/** The exclude-pattern matcher (SPEC §10.3): glob semantics, linear time, invalid patterns located. */
import assert from "node:assert/strict";
import { globProblem, matches, parseRuleLines } from "../../sync/rules.ts";
import { CrabboxError } from "../../core/errors.ts";
import { compileGlob, type Glob } from "../../sync/glob.ts";

Deno.test("glob semantics: *, ?, classes, ** and **/", () => {
  const rows: [string, string, boolean][] = [
    ["*.log", "app.log", true],
    ["*.log", ".log", true],
    ["*.log", "app.log.1", false],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXbY", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["[ab].txt", "b.txt", true],
    ["[ab].txt", "c.txt", false],
    ["[a-c]x", "bx", true],
    ["[a-c]x", "dx", false],
    ["[!a-c]x", "dx", true],
    ["[!a-c]x", "bx", false],
    ["[^a]x", "bx", true],
    ["[a-]x", "-x", true],
    ["[.]x", ".x", true],
    ["file[", "file[", true], // an unclosed "[" is literal
    ["a+b(c)", "a+b(c)", true], // regex metacharacters are plain characters
    ["a.b", "aXb", false],
    ["back\\slash", "back\\slash", true],
    ["***", "anything", true],
    // Patterns with "/" are anchored and match a path prefix.
    ["docs/*.md", "docs/a.md", true],
    ["docs/*.md", "docs/sub/a.md", false],
    ["docs/?/x", "docs/a/x", true],
    ["docs/[!a]/x", "docs/b/x", true],
    ["a/**", "a/b/c", true],
    ["a/**", "a", false],
    ["a/**z", "a/b/c/z", true], // a bare ** crosses directories
    ["a**z", "a/b/z", false], // ... but a pattern without "/" names one component
    ["**/x", "x", true],
    ["**/x", "p/q/x", true],
    ["**/x", "px", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/p/q/b", true],
    ["a/**/b", "a/pb", false],
    ["a/**/**/b", "a/b", true],
    ["a/**/**/b", "a/p/b", true],
    ["x/*", "x/a/b", true], // by its parent prefix x/a
  ];
  for (const [pattern, path, expected] of rows) {
    assert.equal(matches(pattern, path), expected, `${pattern} ~ ${path}`);
  }
});

Deno.test("pathological patterns match in linear time", () => {
  const long = "a".repeat(200);
  const deep = Array(40).fill("aaaa").join("/");
  // Most have no literal prefix or suffix, so the quick checks cannot reject them: the NFA runs.
  const cases: [string, string, boolean][] = [
    ["*".repeat(25) + "x", long, false],
    ["*".repeat(25) + "x*", long, false],
    ["*a".repeat(25) + "*x*", long, false],
    ["a*".repeat(30) + "b*", long, false],
    ["*a".repeat(25) + "*", long, true],
    ["?*".repeat(20) + "x*", long, false],
    ["**/".repeat(25) + "x*", deep, false],
    ["**".repeat(25) + "/x*", deep, false],
    ["*/".repeat(20) + "*x*", deep, false],
    ["[a]*".repeat(30) + "x*", long, false],
  ];
  for (const [pattern, path, expected] of cases) {
    const started = performance.now();
    for (let i = 0; i < 20; i++) assert.equal(matches(pattern, path), expected, pattern);
    const ms = performance.now() - started;
    assert.ok(ms < 500, `${pattern}: ${ms.toFixed(0)} ms for 20 matches`);
  }
});

Deno.test("invalid patterns are named with the problem", () => {
  const rows: [string, string | null][] = [
    ["[z-a]", `character range "z-a" is reversed`],
    ["x[]", "empty character class []"],
    ["x[!]", "empty character class [!]"],
    ["a".repeat(4097), "pattern is longer than 4096 characters"],
    ["ok/*.txt", null],
    ["[a-z]", null],
    ["[", null],
  ];
  for (const [pattern, problem] of rows) assert.equal(globProblem(pattern), problem, pattern);
});

Deno.test(".crabboxignore: an invalid pattern is a config error at file:line", () => {
  const text = "# comment\n\nbuild/\n!keep[z-a].txt\n";
  try {
    parseRuleLines(text, "crabboxignore", "/repo/.crabboxignore");
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof CrabboxError, String(error));
    assert.equal(error.kind, "config");
    assert.equal(error.exitCode, 2);
    assert.equal(
      error.message,
      `/repo/.crabboxignore:4: invalid pattern "!keep[z-a].txt": character range "z-a" is reversed`,
    );
    assert.match(error.hint ?? "", /fix or remove that line/);
  }
  const long = `${"*".repeat(25)}x\n`;
  assert.equal(parseRuleLines(long, "crabboxignore", "/repo/.crabboxignore").length, 1);
});

Deno.test("viable: could a path below this prefix still match? (false prunes a directory's subtree)", () => {
  const rows: [string, string, boolean][] = [
    ["apps/*/.build", "apps/", true],
    ["apps/*/.build", "apps/web/", true],
    ["apps/*/.build", "apps/web/src/", false],
    ["apps/*/.build", "src/", false],
    ["docs/**/*.md", "docs/a/b/", true],
    ["docs/**/*.md", "doc/", false],
    [".yarn/cache", ".yarn/", true],
    [".yarn/cache", ".yarn/other/", false],
    ["a/**", "a/b/c/", true],
    ["*/x", "anything/", true],
    ["*/x", "any/thing/", false],
    ["[ab]/c", "b/", true],
    ["[ab]/c", "d/", false],
  ];
  for (const [pattern, prefix, expected] of rows) {
    assert.equal((compileGlob(pattern) as Glob).viable(prefix), expected, `${pattern} below ${prefix}`);
  }
});
