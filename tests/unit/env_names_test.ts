/** Env names on their way to the box (issue 8 §6): a prefix pattern cannot smuggle shell into the env file. */
import assert from "node:assert/strict";
import { selectForwardedEnv } from "../../config/env_allow.ts";
import { renderEnvFile } from "../../ssh/scripts.ts";
import { CrabboxError } from "../../core/errors.ts";

const HOSTILE = ["APP_X;echo INJECTED", "APP_$(id)", "APP_X Y", "APP_\nX", "APP_X=1", "APP_é", "APP_-"];

Deno.test("a prefix pattern skips names that are not valid variable names, with a warning naming each", () => {
  const env: Record<string, string> = { APP_OK: "1", APP_2: "2" };
  for (const name of HOSTILE) env[name] = "v";
  const result = selectForwardedEnv(["APP_*", "CI"], env, new Set());
  assert.deepEqual(result.forward, { APP_2: "2", APP_OK: "1" });
  assert.deepEqual(
    result.warnings.toSorted(),
    HOSTILE.map((name) =>
      `not forwarding ${
        JSON.stringify(name)
      }: not a valid environment variable name (letters, digits and _, not starting with a digit)`
    ).toSorted(),
  );
  for (const warning of result.warnings) assert.ok(!warning.includes("\n"), "one line each");
});

Deno.test("an exact allowlist entry that is not a valid name is never forwarded either", () => {
  const result = selectForwardedEnv(["A;B"], { "A;B": "x" }, new Set(["A;B"]));
  assert.deepEqual(result.forward, {});
  assert.equal(result.warnings.length, 1);
});

Deno.test("renderEnvFile refuses any name outside ^[A-Za-z_][A-Za-z0-9_]*$", () => {
  assert.equal(renderEnvFile({ A: "1", _b2: "it's" }), "export A='1'\nexport _b2='it'\\''s'\n");
  for (const name of [...HOSTILE, "", "1A", "A-B", "A.B"]) {
    assert.throws(
      () => renderEnvFile({ OK: "1", [name]: "x" }),
      (e: CrabboxError) =>
        e instanceof CrabboxError && e.kind === "usage" && e.exitCode === 2 &&
        e.message === `refusing to forward ${JSON.stringify(name)}: not a valid environment variable name`,
      JSON.stringify(name),
    );
  }
});
