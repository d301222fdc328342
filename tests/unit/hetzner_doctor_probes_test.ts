/**
 * The two calls only doctor makes: one GET /servers?per_page=1 (a count and the rate limit, never a
 * page walk) and one POST /servers whose body the document accepts but Hetzner must refuse (sent
 * once, never retried; 422 → read/write, 401 token_readonly → read-only).
 */
import assert from "node:assert/strict";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { apiError, clientFor, type Exchange, meta, renderings, serverJson, TOKEN } from "./hetzner_mock.ts";

const PROBE_BODY = {
  name: "crabbox doctor write probe (never created)",
  server_type: "",
  image: "",
  start_after_create: false,
};
const probe = (over: Partial<Exchange>): Exchange => ({
  method: "POST",
  path: "/servers",
  body: PROBE_BODY,
  ...over,
});

Deno.test("countServers: one request with per_page=1; total_entries and RateLimit-* headers", async () => {
  const { api, script } = clientFor([{
    method: "GET",
    path: "/servers?label_selector=crabbox%3Dtrue&per_page=1",
    response: {
      servers: [serverJson(1, { crabbox: "true" })],
      meta: { pagination: { ...meta(1, 7, 7).pagination, per_page: 1 } },
    },
    headers: { "ratelimit-limit": "3600", "ratelimit-remaining": "3541" },
  }, {
    method: "GET",
    path: "/servers?per_page=1",
    response: { servers: [], meta: { pagination: { ...meta(1, 1, 0).pagination, per_page: 1 } } },
  }]);
  assert.deepEqual(await api.countServers({ labelSelector: "crabbox=true" }), {
    total: 7,
    rateLimit: { limit: 3600, remaining: 3541 },
  });
  assert.deepEqual(await api.countServers({}), { total: 0, rateLimit: null });
  script.done();
});

Deno.test("probeWriteAccess: a schema-valid, uncreatable body; 422 read/write, 401 token_readonly read-only", async () => {
  const { api, script } = clientFor([
    probe({ status: 422, response: apiError("invalid_input", "invalid input in field 'name'") }),
    probe({
      status: 401,
      response: apiError("token_readonly", "The token is only allowed to perform GET requests"),
    }),
    probe({ status: 403, response: apiError("forbidden", "insufficient permissions") }),
  ]);
  assert.deepEqual(await api.probeWriteAccess(), { kind: "read_write" });
  assert.deepEqual(await api.probeWriteAccess(), { kind: "read_only", status: 401, code: "token_readonly" });
  assert.deepEqual(await api.probeWriteAccess(), { kind: "read_only", status: 403, code: "forbidden" });
  script.done();
});

Deno.test("probeWriteAccess: an unknown token or a 503 throws after one request (no retry), token-free", async () => {
  const { api, script, clock } = clientFor([
    probe({ status: 401, response: apiError("unauthorized", "unable to authenticate") }),
    probe({ status: 503, response: apiError("unavailable", "maintenance") }),
  ]);
  await assert.rejects(
    api.probeWriteAccess(),
    (e) => e instanceof HetznerApiError && e.code === "unauthorized",
  );
  const error = await api.probeWriteAccess().catch((e) => e);
  assert.ok(error instanceof HetznerApiError && error.status === 503);
  for (const text of renderings(error)) assert.ok(!text.includes(TOKEN));
  assert.deepEqual(clock.sleeps, [], "never retried");
  script.done();
});
