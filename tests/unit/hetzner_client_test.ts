/**
 * Single-object calls, decoding and the endpoint rule. Exchanges are scripted (tests/unit/hetzner_mock.ts)
 * and validated against Hetzner's document; pagination, retries, create and redaction have their own files.
 */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import { DEFAULT_ENDPOINT, resolveEndpoint } from "../../providers/hetzner/client.ts";
import {
  decodeAction,
  decodeServer,
  decodeServerType,
  decodeSshKey,
} from "../../providers/hetzner/decode.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { actionJson, apiError, clientFor, serverJson, sshKeyJson } from "./hetzner_mock.ts";

const notFound = { status: 404, response: apiError("not_found", "server with ID '1' not found") };

Deno.test("404 means null for reads and 'gone' for deletes", async () => {
  const { api, script, clock } = clientFor([
    { method: "GET", path: "/servers/1", ...notFound },
    { method: "GET", path: "/actions/2", ...notFound },
    { method: "DELETE", path: "/servers/1", ...notFound },
    { method: "DELETE", path: "/ssh_keys/3", ...notFound },
  ]);
  assert.equal(await api.getServer(1), null);
  assert.equal(await api.getAction(2), null);
  assert.equal(await api.deleteServer(1), "gone");
  assert.equal(await api.deleteSshKey(3), "gone");
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("a server and an action decode into crabbox's plain types", async () => {
  const labels = { crabbox: "true", lease: "cbx_0123456789ab" };
  const { api, script } = clientFor([
    { method: "GET", path: "/servers/61234567", response: { server: serverJson(61234567, labels) } },
    { method: "GET", path: "/actions/77", response: { action: actionJson(77, "create_server", "error") } },
    { method: "GET", path: "/actions/78", response: { action: actionJson(78, "start_server", "success") } },
  ]);
  assert.deepEqual(await api.getServer(61234567), {
    id: 61234567,
    name: "crabbox-box-61234567",
    status: "running",
    createdMs: Date.parse("2026-05-01T12:00:00Z"),
    ipv4: "203.0.113.7",
    labels,
    serverType: "ccx13",
    location: "fsn1",
  });
  assert.deepEqual(await api.getAction(77), {
    id: 77,
    status: "error",
    error: { code: "action_failed", message: "Action failed" },
  });
  assert.deepEqual(await api.getAction(78), { id: 78, status: "success", error: null });
  script.done();
});

Deno.test("POST /ssh_keys sends {name, public_key, labels} and decodes the key", async () => {
  const labels = { crabbox: "true", lease: "cbx_0123456789ab" };
  const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDvx crabbox cbx_0123456789ab";
  const { api, script } = clientFor([{
    method: "POST",
    path: "/ssh_keys",
    body: { name: "crabbox-cbx-0123456789ab", public_key: publicKey, labels },
    status: 201,
    response: { ssh_key: sshKeyJson(9, "crabbox-cbx-0123456789ab", publicKey, labels) },
  }]);
  const key = await api.createSshKey({ name: "crabbox-cbx-0123456789ab", publicKey, labels });
  assert.deepEqual(key, {
    id: 9,
    name: "crabbox-cbx-0123456789ab",
    publicKey,
    fingerprint: "b7:2f:30:a0:2f:6c:58:6c:21:04:58:61:ba:06:3b:2f",
    labels,
    createdMs: Date.parse("2026-05-01T12:00:00Z"),
  });
  script.done();
});

Deno.test("401 is exit 3 and is not retried", async () => {
  const { api, script, clock } = clientFor([{
    method: "GET",
    path: "/servers/2",
    status: 401,
    response: apiError("unauthorized", "unable to authenticate"),
    headers: { "X-Correlation-Id": "5b1d0c" },
  }]);
  const error = await api.getServer(2).catch((e) => e);
  assert.equal(
    error.message,
    "hetzner GET /servers/2: 401 unauthorized: unable to authenticate (correlation 5b1d0c)",
  );
  assert.equal(asCrabboxError(error).exitCode, 3);
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("non-JSON bodies become bad_response with the status kept", async () => {
  const { api, script } = clientFor([
    { method: "DELETE", path: "/ssh_keys/3", status: 400, raw: "<html><body>Bad Request</body></html>" },
    { method: "GET", path: "/servers/4", status: 200, raw: '{"server": {"id": 4, "name": "tru' },
  ]);
  const html = await api.deleteSshKey(3).catch((e) => e);
  assert.ok(html instanceof HetznerApiError);
  assert.equal(html.code, "bad_response");
  assert.equal(html.status, 400);
  assert.equal(html.message, "hetzner DELETE /ssh_keys/3: 400 bad_response: unreadable text/html body");
  const truncated = await api.getServer(4).catch((e) => e);
  assert.equal(truncated.code, "bad_response");
  assert.equal(truncated.status, 200);
  assert.equal(asCrabboxError(truncated).exitCode, 8);
  script.done();
});

Deno.test("a single server that does not decode is an error, never 'gone'", async () => {
  const { created: _, ...noCreated } = serverJson(5);
  const { api, script } = clientFor([{
    method: "GET",
    path: "/servers/5",
    response: { server: noCreated },
    offContract: ["/server must have required property 'created'"],
  }]);
  const error = await api.getServer(5).catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.equal(
    error.message,
    "hetzner GET /servers/5: 200 bad_response: the answer carried no readable server",
  );
  script.done();
});

Deno.test("decoding is lenient about everything crabbox does not need", () => {
  const base = serverJson(1, { crabbox: "true" });
  const cases: [string, unknown, Partial<ReturnType<typeof decodeServer>> | null][] = [
    ["unknown fields", { ...base, brand_new_field: { x: 1 } }, { id: 1 }],
    ["null ipv4", { ...base, public_net: { ipv4: null, ipv6: null } }, { ipv4: null }],
    ["no public_net", { ...base, public_net: undefined }, { ipv4: null }],
    ["non-string label values dropped", { ...base, labels: { a: "1", b: 2 } }, { labels: { a: "1" } }],
    ["labels missing", { ...base, labels: null }, { labels: {} }],
    ["location via datacenter", { ...base, location: undefined }, { location: "fsn1" }],
    ["no location at all", { ...base, location: null, datacenter: null }, { location: null }],
    ["server type missing", { ...base, server_type: null }, { serverType: "unknown" }],
    ["status missing", { ...base, status: undefined }, { status: "unknown" }],
    ["id not a number", { ...base, id: "1" }, null],
    ["name missing", { ...base, name: undefined }, null],
    ["created unreadable", { ...base, created: "soon" }, null],
    ["not an object", "server", null],
    ["array", [base], null],
  ];
  for (const [label, raw, expected] of cases) {
    const decoded = decodeServer(raw);
    if (expected === null) assert.equal(decoded, null, label);
    else for (const [k, v] of Object.entries(expected)) assert.deepEqual(decoded?.[k as "id"], v, label);
  }
  assert.equal(decodeSshKey({ id: 1, name: "k", created: "2026-05-01T12:00:00Z" })?.publicKey, "");
  assert.equal(decodeSshKey({ id: 1, name: "k" }), null);
  assert.deepEqual(decodeAction({ id: 3, status: "paused", error: { code: 5 } }), {
    id: 3,
    status: "running",
    error: { code: "unknown", message: "" },
  });
  assert.deepEqual(decodeServerType({ name: "cx23", deprecated: null, deprecation: { announced: "x" } }), {
    name: "cx23",
    deprecated: true,
    architecture: null,
    prices: [],
  });
  // Prices are decimal strings; a location whose figures do not parse is left unpriced, not the type.
  const priced = decodeServerType({
    name: "ccx13",
    prices: [
      {
        location: "fsn1",
        price_hourly: { net: "0.0200000000", gross: "0.0238000000000000" },
        price_monthly: { net: "12.4900000000", gross: "14.8631000000000000" },
      },
      {
        location: "nbg1",
        price_hourly: { net: 0.02, gross: "0.0238" },
        price_monthly: { net: "1", gross: "1" },
      },
      { location: "hel1", price_hourly: { net: "-1", gross: "1" }, price_monthly: { net: "1", gross: "1" } },
      "junk",
    ],
  });
  assert.deepEqual(priced?.prices, [
    { location: "fsn1", hourly: { net: 0.02, gross: 0.0238 }, monthly: { net: 12.49, gross: 14.8631 } },
  ]);
});

Deno.test("endpoint rule: https, or http to loopback only; trailing / trimmed; else exit 2", () => {
  const good: [string | undefined, string][] = [
    [undefined, DEFAULT_ENDPOINT],
    ["", DEFAULT_ENDPOINT],
    ["  ", DEFAULT_ENDPOINT],
    ["https://api.hetzner.cloud/v1", "https://api.hetzner.cloud/v1"],
    ["https://mirror.example/v1/", "https://mirror.example/v1"],
    ["https://mirror.example/v1//", "https://mirror.example/v1"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://127.3.2.1:8080/v1/", "http://127.3.2.1:8080/v1"],
    ["http://localhost:4010/v1", "http://localhost:4010/v1"],
    ["http://[::1]:4010/v1", "http://[::1]:4010/v1"],
  ];
  for (const [raw, expected] of good) assert.equal(resolveEndpoint(raw), expected, String(raw));
  const bad = [
    "http://api.hetzner.cloud/v1",
    "http://10.0.0.1/v1",
    "http://127.0.0.1.evil.example/v1",
    "http://localhost.evil.example/v1",
    "ftp://api.hetzner.cloud/v1",
    "api.hetzner.cloud/v1",
    "not a url",
    "https://user:secret@api.hetzner.cloud/v1",
    "https://api.hetzner.cloud/v1?token=x",
  ];
  for (const raw of bad) {
    assert.throws(() => resolveEndpoint(raw), (e: { exitCode: number; message: string }) => {
      assert.equal(e.exitCode, 2, raw);
      assert.match(e.message, /HCLOUD_ENDPOINT/);
      assert.ok(!e.message.includes("secret"));
      return true;
    });
  }
});

Deno.test("clockSynced waits for the first answer (an error answer too), sends nothing, honours abort", async () => {
  const date = "Fri, 01 May 2026 12:10:00 GMT";
  const { api, script } = clientFor([
    { method: "GET", path: "/servers/1", ...notFound, headers: { date } },
  ]);
  const early = new AbortController();
  const aborted = api.clockSynced({ signal: early.signal }).then(() => "synced", () => "aborted");
  early.abort();
  assert.equal(await aborted, "aborted");
  let synced = false;
  const waiting = api.clockSynced().then(() => synced = true);
  await Promise.resolve();
  assert.equal(synced, false, "no answer yet");
  assert.equal(await api.getServer(1), null);
  await waiting;
  assert.equal(api.now(), Date.parse(date), "now() is Hetzner's once it resolves");
  await api.clockSynced({ signal: AbortSignal.abort() }).then(
    () => assert.fail("an aborted signal rejects"),
    () => {},
  );
  script.done();
});
