/** The one effective stop policy `run` and `job run` end under: --keep wins, --keep-on-failure rewrites. */
import assert from "node:assert/strict";
import { effectiveStopPolicy } from "../../lease/stop_policy.ts";
import type { StopPolicy } from "../../config/schema.ts";

Deno.test("effective stop policy: --keep, --keep-on-failure and an existing box", () => {
  const rows: [StopPolicy, { keep?: boolean; keepOnFailure?: boolean; existingBox: boolean }, StopPolicy][] =
    [
      ["auto", { existingBox: false }, "auto"],
      ["always", { existingBox: true }, "always"],
      ["always", { keep: true, existingBox: false }, "never"],
      ["success", { keep: true, keepOnFailure: true, existingBox: false }, "never"],
      ["auto", { keepOnFailure: true, existingBox: false }, "success"],
      ["auto", { keepOnFailure: true, existingBox: true }, "auto"],
      ["always", { keepOnFailure: true, existingBox: true }, "success"],
      ["failure", { keepOnFailure: true, existingBox: false }, "never"],
    ];
  for (const [policy, flags, expected] of rows) {
    assert.equal(effectiveStopPolicy({ policy, ...flags }), expected, `${policy} ${JSON.stringify(flags)}`);
  }
});
