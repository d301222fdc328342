/**
 * The CI guard for what `deno compile` embeds in the release binary: product code and the npm
 * packages it imports, never tests, fixtures, benches, tools or the test-only toolchain (ajv,
 * openapi-typescript, typescript: 36 MB the binary carried before --exclude-unused-npm).
 * Offline: `deno compile` normally downloads its runtime, so the compile here uses this machine's own
 * deno binary as the runtime (DENORT_BIN) — the result is not a working standalone app, but the
 * embedded-file tree it prints is exactly the release's. The module graph (`deno info`) is checked too.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/**
 * Where product modules live (SPEC §15.2), plus the shell files imported as text (the remote scripts of
 * ssh/scripts.ts, the completion parts of cli/completion_scripts.ts); anything else reachable from main.ts
 * is a leak.
 */
const PRODUCT =
  /^(main\.ts|(cli|core|config|jobs|labels|lease|providers|ssh|sync)\/[\w./-]+\.ts|(ssh|providers\/\w+)\/scripts\/\w+\.sh|cli\/completion\/\w+\.(sh|zsh|fish))$/;
/** What main.ts may pull from npm: the imports of deno.json that are not test-only, and theirs. */
const PRODUCT_NPM = new Set([
  "@clack/core",
  "@clack/prompts",
  "@commander-js/extra-typings",
  "commander",
  "fast-string-truncated-width",
  "fast-string-width",
  "fast-wrap-ansi",
  "sisteransi",
  "yaml",
]);
const TEST_ONLY_NPM = ["ajv", "ajv-formats", "ajv-draft-04", "openapi-typescript", "typescript"];
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("module graph of main.ts: product modules only, no test or toolchain file", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decode(out.stderr));
  const info = JSON.parse(decode(out.stdout)) as { modules: { specifier: string; kind: string }[] };
  const local = info.modules.filter((m) => m.specifier.startsWith("file://"))
    .map((m) => fileURLToPath(m.specifier).slice(ROOT.length));
  assert.ok(local.length > 50, `only ${local.length} local modules: is main.ts the entry?`);
  assert.deepEqual(local.filter((path) => !PRODUCT.test(path) || /_test\.ts$/.test(path)), []);
  assert.ok(local.includes("ssh/scripts/exec.sh"), "the remote scripts are in the graph compile embeds");
  assert.ok(local.includes("cli/completion/helpers.fish"), "so are the completion scripts' static parts");
  const npm = info.modules.filter((m) => m.kind === "npm")
    .map((m) => m.specifier.replace(/^npm:\/?/, "").match(/^(@[^/]+\/[^@/]+|[^@/]+)/)![1]);
  assert.deepEqual(npm.filter((name) => !PRODUCT_NPM.has(name)), []);
  assert.deepEqual(info.modules.filter((m) => /^(https?|jsr):/.test(m.specifier)), [], "no remote modules");
});

Deno.test("deno compile (tools/compile) embeds product code and product npm packages only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cbx-compile-" });
  try {
    const out = await new Deno.Command(`${ROOT}tools/compile`, {
      args: [`${dir}/crabbox`],
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1", PATH: `${dirOf(Deno.execPath())}:/usr/bin:/bin` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = decode(out.stdout) + decode(out.stderr);
    assert.equal(out.code, 0, text);
    const tree = text.slice(text.indexOf("Embedded Files"));
    assert.ok(tree.startsWith("Embedded Files"), text);
    // "│   ├── commander/15.1.0/* (202KB)" under .deno_compile_node_modules/localhost.
    const npm = [...tree.matchAll(/^[│ ]{4}[├└][─┬]{2} (@[\w.-]+|[\w.-]+)/gm)].map((m) => m[1]);
    assert.ok(npm.includes("commander") && npm.includes("yaml"), tree);
    for (const name of TEST_ONLY_NPM) assert.ok(!npm.includes(name), `${name} is embedded:\n${tree}`);
    const scoped = [...tree.matchAll(/^│ {3}│ [├└]── ([\w.-]+)\//gm)].map((m) => m[1]);
    assert.ok(!scoped.includes("openapi-core"), "@redocly (openapi-typescript's) is embedded");
    const top = [...tree.matchAll(/^[├└][─┬]{2} ([^ ]+?)(\/\*)? \(/gm)].map((m) => m[1]);
    assert.deepEqual(
      top.filter((name) =>
        name !== ".deno_compile_node_modules" &&
        !/^(main\.ts|cli|core|config|jobs|labels|lease|providers|ssh|sync)$/.test(name)
      ),
      [],
      `unexpected embedded entries:\n${tree}`,
    );
    assert.ok(top.includes("main.ts") && top.includes("cli"), tree);
    assert.doesNotMatch(tree, /_test\.ts|tests\/|fixtures|tools\/|bench\/|schema\.d\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}
