/**
 * --debug against the harness, like hcloud's --debug: one line per Hetzner call with its status, duration
 * and the correlation id the API returned, and bodies in which no secret appears — not the token, not the
 * box's host private key (user_data), not a forwarded env value.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

const TOKEN = "CanaryDebugToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
const FORWARDED = "canary-forwarded-secret-5d2a9e";
const SUMMARY = /^crabbox: debug: hetzner (GET|POST|PUT|DELETE) (\S+) (\d{3}) (\d+)ms \(correlation (\w+)\)$/;

Deno.test("--debug run shows every API call with status, duration and correlation id; no secret", async () => {
  const harness = await startHarness({ token: TOKEN });
  const box = await sandbox(harness, { CANARY_SECRET: FORWARDED });
  try {
    harness.fake.log.length = 0;
    const result = await box.crabbox([
      "--debug",
      "run",
      "--class",
      "tiny",
      "--allow-env",
      "CANARY_SECRET",
      "--",
      "true",
    ]);
    assert.equal(result.code, 0, result.stderr);

    const calls = result.stderr.split("\n").map((line) => line.match(SUMMARY)).filter((m) => m !== null)
      .map(([, method, path, status, , correlation]) => ({
        method,
        path,
        status: Number(status),
        correlation,
      }));
    const served = harness.fake.log.map((r) => ({
      method: r.method,
      path: r.path.replace(/^\/v1/, "") + r.query,
      status: r.status,
      correlation: r.correlationId,
    }));
    assert.ok(served.length >= 5, `a run makes several calls: ${JSON.stringify(served)}`);
    assert.deepEqual(calls, served, "one debug line per API call, in order, with the API's correlation id");
    for (const method of ["POST", "PUT", "DELETE"]) assert.ok(calls.some((c) => c.method === method), method);

    assert.match(
      result.stderr,
      /^crabbox: debug: {3}request \{.*"user_data":"<user_data: \d+ bytes, redacted>"/m,
    );
    assert.match(result.stderr, /^crabbox: debug: {3}request \{.*"public_key":"ssh-ed25519 …\S{8}"/m);
    assert.match(result.stderr, /^crabbox: debug: {3}response \{"server":\{/m);
    assert.match(result.stderr, /^crabbox: debug: ssh -F none /m);
    assert.match(
      result.stderr,
      /^crabbox: debug: rsync -a .* -e 'ssh -F none .*' /m,
      "copyable, like the ssh lines",
    );
    assert.match(result.stderr, /^crabbox: env forwarded CANARY_SECRET=set/m);
    for (const canary of [TOKEN, TOKEN.slice(0, 16), FORWARDED, "PRIVATE KEY"]) {
      assert.ok(!result.stdout.includes(canary) && !result.stderr.includes(canary), `${canary} leaked`);
    }
    assert.doesNotMatch(result.stderr, /Bearer\s+(?!\*\*\*)\S/);
    assert.deepEqual({ servers: harness.fake.servers.size, keys: harness.fake.keys.size }, {
      servers: 0,
      keys: 0,
    });

    // CRABBOX_DEBUG=1 is --debug.
    harness.fake.log.length = 0;
    const listed = await box.crabbox(["list"], { env: { CRABBOX_DEBUG: "1" } });
    assert.equal(listed.code, 0, listed.stderr);
    // list also looks up checkpoints beside the servers: match the GET /servers line by its own id.
    const get = harness.fake.log.find((request) => request.path === "/servers")!;
    assert.match(
      listed.stderr,
      new RegExp(
        `^crabbox: debug: hetzner GET /servers\\?\\S+ 200 \\d+ms \\(correlation ${get.correlationId}\\)$`,
        "m",
      ),
    );
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
