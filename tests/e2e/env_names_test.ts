/**
 * A local variable whose name is shell (`APP_X;echo INJECTED`) matched by an `APP_*` allowlist entry
 * reached the env file on the box and ran there. It is now skipped with a warning naming it.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

Deno.test("env: a hostile name matched by a prefix pattern never reaches the box", async () => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  try {
    const result = await box.crabbox(
      ["run", "--class", "tiny", "--no-sync", "--allow-env", "APP_*", "--", "sh", "-c", 'echo "ok=$APP_OK"'],
      { env: { "APP_X;echo INJECTED;true": "1", APP_OK: "yes" } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "ok=yes\n");
    assert.ok(!(result.stdout + result.stderr).includes("INJECTED\n"), result.stdout);
    assert.match(
      result.stderr,
      /^crabbox: warning: not forwarding "APP_X;echo INJECTED;true": not a valid environment variable name/m,
    );
    assert.deepEqual({ servers: harness.fake.servers.size, keys: harness.fake.keys.size }, {
      servers: 0,
      keys: 0,
    });
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
