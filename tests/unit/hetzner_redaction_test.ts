/**
 * The token never leaves HetznerHttp's #private field (SPEC §6): not in errors, their stacks, inspect or
 * JSON, nor in debug lines, for a timeout, a refused connection (real fetch), 401, 429, 5xx and bad JSON.
 */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import { createHetznerClient } from "../../providers/hetzner/client.ts";
import { clientFor, FakeClock, renderings, TOKEN } from "./hetzner_mock.ts";

function assertNoToken(value: unknown, label: string): void {
  const texts = [...renderings(value), ...renderings(asCrabboxError(value))];
  for (const text of texts) {
    assert.ok(!text.includes(TOKEN), `${label}: token leaked in ${text.slice(0, 300)}`);
    assert.ok(!text.includes(TOKEN.slice(0, 12)), `${label}: token prefix leaked in ${text.slice(0, 300)}`);
    assert.ok(!/Bearer\s+(?!\*\*\*)\S+/.test(text), `${label}: bearer value in ${text.slice(0, 300)}`);
  }
}

async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return await Promise.resolve(port);
}

Deno.test("timeout, 401, 429, 5xx and invalid JSON errors never carry the token", async () => {
  const echo = `Bearer ${TOKEN}`;
  const failures: [string, Promise<unknown>][] = [];
  const run = (label: string, exchanges: Parameters<typeof clientFor>[0], call: "get" | "delete") => {
    const { api, debugs, notes } = clientFor(exchanges, { requestTimeoutMs: 10 });
    const result = (call === "get" ? api.getServer(1) : api.deleteServer(1)).then(
      () => assert.fail(`${label} succeeded`),
      (error) => ({ error, debugs, notes }),
    );
    failures.push([label, result]);
  };
  run(
    "timeout",
    Array.from({ length: 5 }, () => ({ method: "GET" as const, path: "/servers/1", hang: true })),
    "get",
  );
  run("401", [{
    method: "GET",
    path: "/servers/1",
    status: 401,
    response: {
      error: { code: "unauthorized", message: `unable to authenticate ${echo}`, details: { auth: echo } },
    },
    offContract: [],
  }], "get");
  run(
    "429",
    Array.from({ length: 5 }, () => ({
      method: "GET" as const,
      path: "/servers/1",
      status: 429,
      headers: { "Retry-After": "0" },
      response: {
        error: {
          code: "rate_limit_exceeded",
          message: `Limit of '3600' requests per hour for token '${TOKEN.slice(0, 20)}…' reached.`,
          details: null,
        },
      },
    })),
    "get",
  );
  run(
    "5xx",
    Array.from({ length: 5 }, () => ({
      method: "DELETE" as const,
      path: "/servers/1",
      status: 500,
      response: { error: { code: "server_error", message: `proxy saw ${echo}`, details: null } },
    })),
    "delete",
  );
  run(
    "invalid JSON",
    [{ method: "GET", path: "/servers/1", status: 200, raw: `{"server": ${TOKEN}` }],
    "get",
  );
  for (const [label, pending] of failures) {
    const { error, debugs, notes } = await pending as { error: unknown; debugs: string[]; notes: string[] };
    assertNoToken(error, label);
    for (const line of [...debugs, ...notes]) {
      assert.ok(!line.includes(TOKEN.slice(0, 12)), `${label}: ${line}`);
      assert.ok(!/Bearer\s+(?!\*\*\*)\S+/.test(line), `${label}: ${line}`);
    }
    assert.ok(debugs.length > 0, `${label}: the debug lines were checked`);
  }
  const [timeout, unauthorized, limited, , invalid] = await Promise.all(failures.map(([, p]) => p)) as {
    error: Error & { code: string };
  }[];
  assert.equal(timeout.error.message, "hetzner GET /servers/1: timeout: no answer within 10ms");
  assert.equal(asCrabboxError(unauthorized.error).exitCode, 3);
  assert.equal(
    limited.error.message,
    "hetzner GET /servers/1: 429 rate_limit_exceeded: rate limited by Hetzner",
  );
  assert.equal(invalid.error.code, "bad_response");
});

Deno.test("a refused connection (real fetch to a closed port) names the failure, not the request", async () => {
  const port = await closedPort();
  const clock = new FakeClock();
  const api = createHetznerClient({
    token: TOKEN,
    endpoint: `http://127.0.0.1:${port}/v1`,
    clock,
    random: () => 0,
  });
  const error = await api.getServer(1).catch((e) => e);
  assert.equal(error.message, "hetzner GET /servers/1: network_error: connection refused");
  assert.equal(clock.sleeps.length, 4);
  assert.equal(asCrabboxError(error).exitCode, 8);
  assertNoToken(error, "refused");
});

Deno.test("the client itself does not reveal the token", () => {
  const { api } = clientFor([]);
  assert.ok(!JSON.stringify(api).includes(TOKEN));
  assert.ok(!JSON.stringify({ api }).includes(TOKEN));
  assert.ok(!Deno.inspect(api, { depth: 10, showHidden: true }).includes(TOKEN));
  assert.ok(!String(api).includes(TOKEN));
  assert.ok(!Object.values(api).some((v) => String(v).includes(TOKEN)));
});

Deno.test("the token travels only in the Authorization header", async () => {
  const { api, script } = clientFor([{ method: "DELETE", path: "/ssh_keys/3", status: 204 }]);
  await api.deleteSshKey(3);
  const [sent] = script.sent;
  assert.equal(sent.headers.get("authorization"), `Bearer ${TOKEN}`);
  assert.ok(!sent.path.includes(TOKEN));
  script.done();
});
