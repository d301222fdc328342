/** Input bounds of config files (issue 8 §5): alias expansion and file size, both exit 2 naming the file. */
import assert from "node:assert/strict";
import { validateFile } from "../../config/validate.ts";
import { loadConfig, MAX_CONFIG_BYTES } from "../../config/load.ts";
import { CrabboxError } from "../../core/errors.ts";
import { memoryEnv, memoryFs, REPO_FILE, system, USER_FILE } from "./config_testdata/fakes.ts";

function failure(run: () => unknown): CrabboxError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CrabboxError, String(error));
    return error;
  }
  assert.fail("no error");
}

/** `levels` anchors, each a list of ten aliases of the one before: 10^levels nodes once expanded. */
function aliasBomb(levels: number, use: string): string {
  let text = "x0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < levels; i++) text += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  return text + use.replace("*", `*a${levels - 1}`);
}

Deno.test("an alias bomb is refused at once, naming the file and the line where expansion overflows", () => {
  for (const kind of ["user", "repo"] as const) {
    const started = performance.now();
    const error = failure(() => validateFile(aliasBomb(7, "ttl: *\n"), "/r/.crabbox.yaml", kind));
    assert.ok(performance.now() - started < 2000, "linear, not exponential");
    assert.equal(error.kind, "config");
    assert.equal(error.exitCode, 2);
    // x3 is where the running total of expanded nodes first passes the limit.
    assert.match(
      error.message,
      /^\/r\/\.crabbox\.yaml:4:\d+: YAML aliases expand to more than 10000 nodes; refusing to expand them$/,
    );
    assert.match(error.hint ?? "", /anchor/);
  }
});

Deno.test("an alias bomb used deep in a section is bounded too", () => {
  const text = aliasBomb(7, "jobs:\n  t:\n    command: x\n    env:\n      allow: *\n");
  const started = performance.now();
  const error = failure(() => validateFile(text, ".crabbox.yaml", "repo"));
  assert.ok(performance.now() - started < 2000);
  assert.match(error.message, /^\.crabbox\.yaml:4:\d+: YAML aliases expand to more than 10000 nodes/);
});

Deno.test("many aliases of a small anchor stay linear", () => {
  const jobs = Array.from({ length: 3000 }, (_, i) => `  j${i}: {command: *c}\n`).join("");
  const text = `jobs:\n  base:\n    command: &c make test\n${jobs}`;
  const started = performance.now();
  const layer = validateFile(text, ".crabbox.yaml", "repo");
  assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
  assert.equal(layer.jobs.j2999.values.command, "make test");
});

Deno.test("legitimate anchors still work: reused lists, maps and scalars", () => {
  const text = [
    "sync:",
    "  exclude: &ex [tmp/, out/]",
    "profiles:",
    "  ci: &ci",
    "    class: small",
    "    sync:",
    "      exclude: *ex",
    "  ci2: *ci",
    "ttl: &t 2h",
    "idleTimeout: *t",
    "",
  ].join("\n");
  const layer = validateFile(text, ".crabbox.yaml", "repo");
  assert.deepEqual(layer.settings["sync.exclude"].value, ["tmp/", "out/"]);
  assert.deepEqual(layer.profiles.ci2["sync.exclude"].value, ["tmp/", "out/"]);
  assert.equal(layer.profiles.ci2.class.value, "small");
  assert.equal(layer.settings.idleTimeout.value, 7200);
});

Deno.test("an alias that refers to its own anchor is an error, not a hang", () => {
  const error = failure(() => validateFile("sync:\n  exclude: &a [x, *a]\n", "c.yaml", "user"));
  assert.match(error.message, /^c\.yaml:2:\d+: /);
  assert.equal(error.exitCode, 2);
});

Deno.test("a secret under an anchor is found once, where the anchor is written", () => {
  const token = "a".repeat(32) + "B7".repeat(16);
  const error = failure(() =>
    validateFile(`env:\n  set:\n    K: &k "${token}"\n    L: *k\n`, ".crabbox.yaml", "repo")
  );
  assert.match(error.message, /^\.crabbox\.yaml:3:11: env\.set\.K has a value that looks like/);
  assert.ok(!error.message.includes(token));
});

Deno.test(`config files over ${MAX_CONFIG_BYTES} bytes are refused before parsing`, async () => {
  assert.equal(MAX_CONFIG_BYTES, 1024 * 1024);
  const big = "# padding\n".repeat(MAX_CONFIG_BYTES / 10 + 1);
  const error = failure(() => validateFile(big, "/r/.crabbox.yaml", "repo"));
  assert.equal(
    error.message,
    "/r/.crabbox.yaml: config file is too large (1,048,580 bytes; the limit is 1 MiB); refusing to parse it",
  );
  assert.equal(error.exitCode, 2);
  // Multi-byte text counts in bytes, not characters.
  assert.throws(() => validateFile("#" + "é".repeat(MAX_CONFIG_BYTES / 2), "c.yaml", "user"), CrabboxError);
  assert.doesNotThrow(() => validateFile("# ok\n".repeat(1000), "c.yaml", "user"));

  // Loading checks the size from lstat, so a huge file is never read.
  for (const path of [USER_FILE, REPO_FILE]) {
    const fs = memoryFs({ [path]: "ttl: 2h\n" });
    const lstat = fs.lstat;
    fs.lstat = async (p) => {
      const info = await lstat(p);
      return info && p === path ? { ...info, size: 5 * 1024 ** 3 } : info;
    };
    fs.readTextFile = () => Promise.reject(new Error("must not be read"));
    await assert.rejects(
      loadConfig({ fs, env: memoryEnv({}), system, gitRoot: "/repo" }),
      (e: CrabboxError) =>
        e.kind === "config" &&
        e.message ===
          `${path}: config file is too large (5,368,709,120 bytes; the limit is 1 MiB); refusing to read it`,
    );
  }
  // A FIFO or device as the config is refused without opening it.
  const fs = memoryFs({ [USER_FILE]: "" });
  fs.lstat = (p) =>
    Promise.resolve(
      p === USER_FILE
        ? { isFile: false, isDirectory: false, isSymlink: false, size: 0, mode: 0o600, mtimeMs: 0, uid: 0 }
        : null,
    );
  fs.readTextFile = () => Promise.reject(new Error("must not be opened"));
  await assert.rejects(
    loadConfig({ fs, env: memoryEnv({}), system, gitRoot: null }),
    (e: CrabboxError) => e.kind === "config" && e.message === `${USER_FILE} is not a regular file`,
  );
});
