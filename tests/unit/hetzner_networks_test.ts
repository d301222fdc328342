/** The client's network calls and `networks` at create, against canned answers held to Hetzner's document. */
import assert from "node:assert/strict";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { actionJson, apiError, clientFor, meta, serverJson } from "./hetzner_mock.ts";

const labels = { crabbox: "true", created_by: "crabbox", pond: "pr-42", owner: "alice" };
const networkJson = (id: number, servers: number[] = []) => ({
  id,
  name: "crabbox-pond-pr-42",
  ip_range: "10.90.9.0/24",
  subnets: [{
    type: "cloud",
    ip_range: "10.90.9.0/24",
    network_zone: "eu-central",
    gateway: "10.90.9.1",
    vswitch_id: null,
  }],
  routes: [],
  servers,
  load_balancers: [],
  protection: { delete: false },
  labels,
  created: "2026-05-01T12:00:00+00:00",
  expose_routes_to_vswitch: false,
});
const createBody = {
  name: "crabbox-pond-pr-42",
  ip_range: "10.90.9.0/24",
  labels,
  subnets: [{ type: "cloud", ip_range: "10.90.9.0/24", network_zone: "eu-central" }],
};
const createRequest = {
  name: "crabbox-pond-pr-42",
  ipRange: "10.90.9.0/24",
  networkZone: "eu-central",
  labels,
};

Deno.test("createNetwork sends one cloud subnet spanning the range and decodes the network", async () => {
  const { api, script } = clientFor([{
    method: "POST",
    path: "/networks",
    body: createBody,
    status: 201,
    response: { network: networkJson(7) },
  }]);
  assert.deepEqual(await api.createNetwork(createRequest), {
    id: 7,
    name: "crabbox-pond-pr-42",
    ipRange: "10.90.9.0/24",
    subnets: [{ ipRange: "10.90.9.0/24", networkZone: "eu-central" }],
    serverIds: [],
    labels,
    createdMs: Date.parse("2026-05-01T12:00:00Z"),
  });
  script.done();
});

Deno.test("createNetwork is sent once: a 503 is the caller's to resolve (by label), never re-POSTed", async () => {
  const { api, script } = clientFor([{
    method: "POST",
    path: "/networks",
    body: createBody,
    status: 503,
    response: apiError("unavailable", "service unavailable"),
  }]);
  await assert.rejects(api.createNetwork(createRequest), (error: unknown) => {
    assert.ok(error instanceof HetznerApiError);
    assert.equal(error.ambiguous, true);
    return true;
  });
  script.done();
});

Deno.test("listNetworks filters by label, getNetwork 404 is null, deleteNetwork 404 is gone", async () => {
  const { api, script } = clientFor([
    {
      method: "GET",
      path: "/networks?label_selector=crabbox%3Dtrue%2Cpond%3Dpr-42&page=1&per_page=50",
      response: { networks: [networkJson(7, [61])], meta: meta(1, 1, 1) },
    },
    { method: "GET", path: "/networks/8", status: 404, response: apiError("not_found", "network not found") },
    { method: "DELETE", path: "/networks/7", status: 204 },
    {
      method: "DELETE",
      path: "/networks/8",
      status: 404,
      response: apiError("not_found", "network not found"),
    },
  ]);
  const [network] = await api.listNetworks({ labelSelector: "crabbox=true,pond=pr-42" });
  assert.deepEqual(network.serverIds, [61]);
  assert.equal(await api.getNetwork(8), null);
  assert.equal(await api.deleteNetwork(7), "deleted");
  assert.equal(await api.deleteNetwork(8), "gone");
  script.done();
});

Deno.test("a pond member's create carries networks; its private_net decodes", async () => {
  const server = {
    ...serverJson(61, { lease: "cbx_0123456789ab" }, { name: "crabbox-db-1" }),
    private_net: [{ network: 7, ip: "10.90.9.2", alias_ips: [], mac_address: "86:00:00:aa:bb:cc" }],
  };
  const { api, script } = clientFor([{
    method: "POST",
    path: "/servers",
    body: {
      name: "crabbox-db-1",
      server_type: "cx23",
      image: "ubuntu-24.04",
      start_after_create: true,
      public_net: { enable_ipv4: true, enable_ipv6: false },
      ssh_keys: [],
      user_data: "#cloud-config\n",
      labels: { lease: "cbx_0123456789ab" },
      networks: [7],
    },
    status: 201,
    response: {
      server,
      action: actionJson(77, "create_server"),
      next_actions: [actionJson(78, "start_server"), actionJson(79, "attach_to_network")],
      root_password: null,
    },
  }]);
  const created = await api.createServer({
    name: "crabbox-db-1",
    serverType: "cx23",
    image: "ubuntu-24.04",
    sshKeys: [],
    userData: "#cloud-config\n",
    labels: { lease: "cbx_0123456789ab" },
    networks: [7],
  });
  assert.deepEqual(created.server.privateNet, [{ network: 7, ip: "10.90.9.2" }]);
  script.done();
});
