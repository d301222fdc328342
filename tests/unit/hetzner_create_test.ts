/** POST /servers is never retried blindly (SPEC §6, §16 #29): lease lookup, adoption, one more POST. */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import type { CreateServerRequest } from "../../providers/hetzner/port.ts";
import { actionJson, apiError, clientFor, type Exchange, meta, serverJson } from "./hetzner_mock.ts";

const labels = {
  crabbox: "true",
  created_by: "crabbox",
  lease: "cbx_0123456789ab",
  slug: "violet-prawn",
  state: "provisioning",
  server_type: "ccx63",
};
const request: CreateServerRequest = {
  name: "crabbox-violet-prawn-40675f31",
  serverType: "ccx63",
  image: "ubuntu-24.04",
  location: "fsn1",
  sshKeys: ["crabbox-cbx-0123456789ab"],
  userData: "#cloud-config\npackage_update: false\n",
  labels,
};
const body = {
  name: "crabbox-violet-prawn-40675f31",
  server_type: "ccx63",
  image: "ubuntu-24.04",
  location: "fsn1",
  start_after_create: true,
  public_net: { enable_ipv4: true, enable_ipv6: false },
  ssh_keys: ["crabbox-cbx-0123456789ab"],
  user_data: "#cloud-config\npackage_update: false\n",
  labels,
};
const created = (id: number, ip: string | null = null) => ({
  server: serverJson(id, labels, { ip, name: request.name }),
  action: actionJson(77, "create_server"),
  next_actions: [actionJson(78, "start_server")],
  root_password: null,
});
const post = (answer: Partial<Exchange>): Exchange => ({ method: "POST", path: "/servers", body, ...answer });
const byLease = (found: number[]): Exchange => ({
  method: "GET",
  path: "/servers?label_selector=lease%3Dcbx_0123456789ab&page=1&per_page=50",
  response: {
    servers: found.map((id) => serverJson(id, labels, { name: request.name })),
    meta: meta(1, 1, 1),
  },
});
const byName = (lease: string | null): Exchange => ({
  method: "GET",
  path: "/servers?name=crabbox-violet-prawn-40675f31&page=1&per_page=50",
  response: {
    servers: lease === null ? [] : [serverJson(44, { ...labels, lease }, { name: request.name })],
    meta: meta(1, 1, lease === null ? 0 : 1),
  },
});
const unavailable = { status: 503, response: apiError("unavailable", "service unavailable") };

Deno.test("a plain create sends the full body once and returns the server and its action", async () => {
  const { api, script, clock } = clientFor([post({ status: 201, response: created(61234567) })]);
  const result = await api.createServer(request);
  assert.equal(result.server.id, 61234567);
  assert.equal(result.server.ipv4, null);
  assert.equal(result.actionId, 77);
  assert.deepEqual(result.server.labels, labels);
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("without a location the body leaves it out and Hetzner picks", async () => {
  const { location: _, ...anywhere } = body;
  const { api, script } = clientFor([{
    method: "POST",
    path: "/servers",
    body: anywhere,
    status: 201,
    response: created(1),
  }]);
  await api.createServer({ ...request, location: undefined });
  script.done();
});

Deno.test("after a 503 the lease is looked up twice, 5 s apart, and then POSTed once more", async () => {
  const { api, script, clock } = clientFor([
    post(unavailable),
    byLease([]),
    byLease([]),
    post({ status: 201, response: created(9, "203.0.113.9") }),
  ]);
  const result = await api.createServer(request);
  assert.equal(result.server.ipv4, "203.0.113.9");
  assert.deepEqual(clock.sleeps, [5_000]);
  script.done();
});

Deno.test("a server found by its lease label after a lost answer is adopted, not duplicated", async () => {
  const { api, script, clock } = clientFor([
    post({ fail: new TypeError("error sending request: connection closed before message completed") }),
    byLease([61234567]),
  ]);
  const result = await api.createServer(request);
  assert.deepEqual(result.server.id, 61234567);
  assert.equal(result.actionId, null);
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("a server that shows up only on the second lookup is adopted", async () => {
  const { api, script, clock } = clientFor([
    post({ status: 504, response: apiError("timeout", "gateway timeout") }),
    byLease([]),
    byLease([61234567]),
  ]);
  assert.equal((await api.createServer(request)).server.id, 61234567);
  assert.deepEqual(clock.sleeps, [5_000]);
  script.done();
});

Deno.test("a create that times out is resolved by the lease lookup", async () => {
  const { api, script } = clientFor([post({ hang: true }), byLease([5])], { requestTimeoutMs: 20 });
  assert.equal((await api.createServer(request)).server.id, 5);
  script.done();
});

Deno.test("the second POST is the last: its failure is the answer", async () => {
  const { api, script } = clientFor([post(unavailable), byLease([]), byLease([]), post(unavailable)]);
  const error = await api.createServer(request).catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.equal(asCrabboxError(error).exitCode, 8);
  script.done();
});

Deno.test("definite rejections are never followed by a lookup or another POST", async () => {
  for (
    const [status, code] of [[412, "resource_unavailable"], [403, "resource_limit_exceeded"], [
      422,
      "invalid_input",
    ], [429, "rate_limit_exceeded"]] as const
  ) {
    const { api, script, clock } = clientFor([post({ status, response: apiError(code, code) })]);
    const error = await api.createServer(request).catch((e) => e);
    assert.equal(error.code, code);
    assert.deepEqual(clock.sleeps, []);
    script.done();
  }
});

Deno.test("409 on the name adopts the server when its lease label is ours", async () => {
  const conflict = { status: 409, response: apiError("uniqueness_error", "server name is already used", {}) };
  const { api, script } = clientFor([post(conflict), byName("cbx_0123456789ab")]);
  assert.equal((await api.createServer(request)).server.id, 44);
  script.done();
});

Deno.test("409 on a name held by another lease (or nobody) fails", async () => {
  const conflict = { status: 409, response: apiError("uniqueness_error", "server name is already used", {}) };
  for (const holder of ["cbx_ffffffffffff", null]) {
    const { api, script } = clientFor([post(conflict), byName(holder)]);
    const error = await api.createServer(request).catch((e) => e);
    assert.ok(error instanceof HetznerApiError);
    assert.equal(error.code, "uniqueness_error");
    assert.equal(asCrabboxError(error).exitCode, 8);
    script.done();
  }
});

Deno.test("when the re-POST meets our own name, the first POST landed late: adopt it", async () => {
  const conflict = { status: 409, response: apiError("uniqueness_error", "server name is already used", {}) };
  const { api, script } = clientFor([
    post(unavailable),
    byLease([]),
    byLease([]),
    post(conflict),
    byName("cbx_0123456789ab"),
  ]);
  assert.equal((await api.createServer(request)).server.id, 44);
  script.done();
});

Deno.test("a 201 whose body cannot be read is ambiguous too", async () => {
  const { api, script } = clientFor([
    post({ status: 201, raw: '{"server": {"id": 12, "na' }),
    byLease([12]),
  ]);
  assert.equal((await api.createServer(request)).server.id, 12);
  script.done();
});
