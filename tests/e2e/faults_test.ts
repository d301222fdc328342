/**
 * Injected faults against the real CLI: every fault ends with a clear exit code, nothing left behind
 * that the sweep would not delete, and the canary token in no output at all.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { type CliResult, sandbox } from "./_cli.ts";

const CANARY = "CanaryToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";

function assertNoCanary(result: CliResult): void {
  assert.ok(
    !result.stdout.includes(CANARY) && !result.stderr.includes(CANARY),
    "the token leaked into output",
  );
  assert.ok(
    !/Bearer\s+[A-Za-z0-9]/.test(result.stdout + result.stderr),
    "a bearer header leaked into output",
  );
}

Deno.test("faults: auth, rate limits, 5xx, capacity, quota, ambiguous create, SSH never ready, Ctrl-C", async (t) => {
  const harness = await startHarness({ token: CANARY });
  const box = await sandbox(harness);
  const fake = harness.fake;
  const empty = () =>
    assert.deepEqual({ servers: fake.servers.size, keys: fake.keys.size }, { servers: 0, keys: 0 });
  try {
    await t.step("401 exits 3 with a hint and no token", async () => {
      fake.faults.push({
        method: "GET",
        path: "/servers",
        status: 401,
        code: "unauthorized",
        message: "unable to authenticate",
        remaining: 1,
      });
      const result = await box.crabbox(["list", "--debug"]);
      assertNoCanary(result);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        result.stderr,
        /^crabbox: error: hetzner GET \/servers: 401 unauthorized: unable to authenticate/m,
      );
      assert.match(result.stderr, /^crabbox: hint: check HCLOUD_TOKEN/m);
    });

    await t.step("a wrong token exits 3", async () => {
      const result = await box.crabbox(["list"], { env: { HCLOUD_TOKEN: "x".repeat(64) } });
      assert.equal(result.code, 3, result.stderr);
      assertNoCanary(result);
    });

    await t.step("429 with RateLimit-Reset is waited out and retried", async () => {
      const reset = String(Math.floor(fake.now() / 1000) + 1);
      fake.faults.push({
        method: "GET",
        path: "/servers",
        status: 429,
        code: "rate_limit_exceeded",
        message: "Limit of '3600' requests per hour for token reached.",
        headers: { "RateLimit-Reset": reset },
        remaining: 1,
      });
      const result = await box.crabbox(["list", "--json", "--debug"]);
      assertNoCanary(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "[]\n");
      assert.match(result.stderr, /retrying GET \/servers in \d+ms \(rate_limit_exceeded\)/);
      assert.equal(fake.log.filter((r) => r.path === "/servers" && r.status === 429).length, 1);
    });

    await t.step("503 then success is retried; an HTML 502 is reported with its status", async () => {
      fake.faults.push({
        method: "GET",
        path: "/servers",
        status: 503,
        code: "unavailable",
        message: "maintenance",
        remaining: 1,
      });
      const retried = await box.crabbox(["list", "--json"]);
      assertNoCanary(retried);
      assert.equal(retried.code, 0, retried.stderr);
      fake.faults.push({ method: "GET", path: "/servers", status: 502, html: true, remaining: 1 });
      // Prism cannot carry an HTML body; this fault goes to the fake directly (HARNESS §4.3).
      const html = await box.crabbox(["list", "--json", "--debug"], {
        env: { HCLOUD_ENDPOINT: harness.directEndpoint },
      });
      assertNoCanary(html);
      assert.equal(html.code, 0, html.stderr);
      assert.match(html.stderr, /retrying GET \/servers in \d+ms \(bad_response\)/);
    });

    await t.step("connection refused exits 8 without the token", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      const result = await box.crabbox(["stop", "cbx_0123456789ab"], {
        env: { HCLOUD_ENDPOINT: `http://127.0.0.1:${port}` },
      });
      assertNoCanary(result);
      assert.equal(result.code, 8, result.stderr);
      assert.match(result.stderr, /connection refused/);
    });

    await t.step("capacity in one location falls back to the next", async () => {
      fake.capacity = [{
        serverType: "ccx13",
        location: "fsn1",
        status: 412,
        code: "resource_unavailable",
        message: "server location disabled",
      }];
      const result = await box.crabbox(["run", "--class", "tiny", "--no-sync", "--", "true"]);
      assertNoCanary(result);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^crabbox: ccx13 in fsn1 rejected \(resource_unavailable\); trying nbg1$/m);
      assert.match(result.stderr, /type=ccx13 location=nbg1/);
      fake.capacity = [];
      empty();
    });

    await t.step("server-count quota exits 8 and leaves no key", async () => {
      fake.capacity = [{
        serverType: "ccx13",
        status: 403,
        code: "resource_limit_exceeded",
        message: "server limit exceeded",
        details: { limits: [{ name: "server" }] },
      }];
      const result = await box.crabbox(["run", "--class", "tiny", "--no-sync", "--", "true"]);
      assertNoCanary(result);
      assert.equal(result.code, 8, result.stderr);
      assert.match(result.stderr, /server-count quota/);
      fake.capacity = [];
      empty();
    });

    await t.step("an ambiguous create (server made, answer lost) is adopted, not duplicated", async () => {
      const posts = () => fake.log.filter((r) => r.method === "POST" && r.path === "/servers").length;
      const before = posts();
      fake.faults.push({
        method: "POST",
        path: "/servers",
        status: 504,
        code: "timeout",
        message: "gateway timeout",
        afterCreate: true,
        remaining: 1,
      });
      const result = await box.crabbox(["run", "--class", "tiny", "--no-sync", "--", "echo", "adopted"]);
      assertNoCanary(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "adopted\n");
      assert.equal(posts() - before, 1, "the create must not be sent twice");
      empty();
    });

    await t.step("SSH never ready: bootstrap timeout exits 5 and rolls back", async () => {
      fake.knobs.sshNeverReady = true;
      const result = await box.crabbox(["warmup", "--class", "tiny", "--bootstrap-timeout", "3s"]);
      fake.knobs.sshNeverReady = false;
      assertNoCanary(result);
      assert.equal(result.code, 5, result.stderr);
      assert.match(
        result.stderr,
        /timed out after \S+ waiting for cbx_\S+ to become ready \(ports=2222:\w+,22:auth\)$/m,
      );
      assert.match(result.stderr, /^crabbox: rolling back cbx_/m);
      assert.match(result.stderr, /^crabbox: rolled back cbx_\S+: server \d+ deleted$/m);
      assert.match(
        result.stderr,
        /^crabbox: warning: bootstrap timed out on cbx_\S+; retrying once with a fresh lease$/m,
      );
      assert.equal(
        result.stderr.match(/^crabbox: created server/gm)?.length,
        2,
        "one retry, on a fresh lease",
      );
      empty();
    });

    await t.step(
      "a box presenting another host key fails at once (exit 7), never a 20-minute wait",
      async () => {
        fake.knobs.hostKeyMismatch = true;
        const result = await box.crabbox(["warmup", "--class", "tiny"]);
        fake.knobs.hostKeyMismatch = false;
        assertNoCanary(result);
        assert.equal(result.code, 7, result.stderr);
        assert.match(
          result.stderr,
          /^crabbox: error: host key mismatch for cbx_\S+ at 10\.77\.\d+\.2:2222$/m,
        );
        assert.equal(result.stderr.match(/^crabbox: created server/gm)?.length, 1, "no retry on a mismatch");
        empty();
      },
    );

    await t.step("Ctrl-C while waiting for SSH deletes server and key, exit 130", async () => {
      fake.knobs.sshNeverReady = true;
      const running = box.spawn(["warmup", "--class", "tiny"]);
      await running.waitForStderr("crabbox: created server");
      assert.equal(fake.servers.size, 1);
      running.child.kill("SIGINT");
      const result = await running.done;
      fake.knobs.sshNeverReady = false;
      assertNoCanary(result);
      assert.equal(result.code, 130, result.stderr);
      empty();
    });

    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
