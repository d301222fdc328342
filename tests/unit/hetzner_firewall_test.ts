/**
 * The client's /firewalls calls and `firewalls` in POST /servers, each request and canned answer held to
 * Hetzner's document; and ensureFirewall's look-up, create and race (lease/firewall.ts).
 */
import assert from "node:assert/strict";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { actionJson, apiError, clientFor, meta, serverJson } from "./hetzner_mock.ts";
import { createWithFirewall, ensureFirewall, releaseFirewalls } from "../../lease/firewall.ts";
import { allowSetHash } from "../../lease/firewall_rules.ts";

const hash = allowSetHash(["203.0.113.0/24"], [2222, 22]);
const labels = {
  crabbox: "true",
  created_by: "crabbox",
  owner: "alice",
  allow: hash,
  created_at: "1777636800",
};
const name = `crabbox-ssh-alice-${hash}`;
const rule = (port: string) => ({
  direction: "in",
  protocol: "tcp",
  port,
  source_ips: ["203.0.113.0/24"],
  destination_ips: [],
  description: `crabbox ssh ${port}`,
});
const firewallJson = (id: number, servers: number[] = []) => ({
  id,
  name,
  labels,
  created: "2026-05-01T12:00:00+00:00",
  rules: [rule("22"), rule("2222")],
  applied_to: servers.map((s) => ({ type: "server", server: { id: s } })),
});
const selector =
  `/firewalls?label_selector=crabbox%3Dtrue%2Ccreated_by%3Dcrabbox%2Cowner%3Dalice%2Callow%3D${hash}` +
  "&page=1&per_page=50";
const listed = (...firewalls: unknown[]) => ({
  method: "GET" as const,
  path: selector,
  response: { firewalls, meta: meta(1, 1, firewalls.length) },
});
const createBody = {
  name,
  labels,
  rules: [22, 2222].map((port) => ({
    direction: "in",
    protocol: "tcp",
    port: String(port),
    source_ips: ["203.0.113.0/24"],
    description: `crabbox ssh ${port}`,
  })),
};
const allow = { cidrs: ["203.0.113.0/24"], ports: [2222, 22], owner: "alice", source: "flag --allow-cidr" };

Deno.test("ensureFirewall creates the owner's firewall when the label finds none", async () => {
  const { api, script } = clientFor([
    listed(),
    {
      method: "POST",
      path: "/firewalls",
      body: createBody,
      status: 201,
      response: { firewall: firewallJson(5), actions: [] },
    },
  ]);
  const firewall = await ensureFirewall(api, allow);
  assert.equal(firewall.id, 5);
  assert.deepEqual(firewall.serverIds, []);
  assert.deepEqual(firewall.rules.map((r) => [r.port, r.sourceIps]), [["22", ["203.0.113.0/24"]], [
    "2222",
    ["203.0.113.0/24"],
  ]]);
  script.done();
});

Deno.test("ensureFirewall reuses the lowest id the label finds, and adopts a racer's after a 409", async () => {
  const found = clientFor([listed(firewallJson(9, [1]), firewallJson(4))]);
  assert.equal((await ensureFirewall(found.api, allow)).id, 4);
  found.script.done();

  const raced = clientFor([
    listed(),
    {
      method: "POST",
      path: "/firewalls",
      body: createBody,
      status: 409,
      response: apiError("uniqueness_error", "name is already used", { fields: [{ name: "name" }] }),
    },
    listed(firewallJson(6)),
  ]);
  assert.equal((await ensureFirewall(raced.api, allow)).id, 6);
  raced.script.done();
});

Deno.test("a firewall deleted between look-up and POST /servers is made again once", async () => {
  const { api, script } = clientFor([listed(firewallJson(5)), listed(), {
    method: "POST",
    path: "/firewalls",
    body: createBody,
    status: 201,
    response: { firewall: firewallJson(8), actions: [] },
  }]);
  const tried: number[][] = [];
  const result = await createWithFirewall(api, allow, (ids) => {
    tried.push(ids);
    if (tried.length === 1) {
      return Promise.reject(
        new HetznerApiError({
          method: "POST",
          path: "/servers",
          status: 422,
          code: "invalid_input",
          message: "firewall 5 not found",
          details: null,
          correlationId: null,
          retryAfterMs: null,
        }),
      );
    }
    return Promise.resolve("created");
  });
  assert.equal(result, "created");
  assert.deepEqual(tried, [[5], [8]]);
  script.done();
});

Deno.test("releaseFirewalls deletes an unused one, keeps one another box holds, and retries while the delete settles", async () => {
  const all = "/firewalls?label_selector=crabbox%3Dtrue%2Ccreated_by%3Dcrabbox&page=1&per_page=50";
  const inUse = { status: 422, response: apiError("resource_in_use", "firewall with ID 5 is still in use") };
  const { api, script, clock } = clientFor([
    {
      method: "GET",
      path: all,
      response: { firewalls: [firewallJson(5, [1]), firewallJson(6, [1, 2])], meta: meta(1, 1, 2) },
    },
    { method: "DELETE", path: "/firewalls/5", ...inUse },
    {
      method: "GET",
      path: `/firewalls?name=${name}&page=1&per_page=50`,
      response: { firewalls: [firewallJson(5)], meta: meta(1, 1, 1) },
    },
    { method: "DELETE", path: "/firewalls/5", status: 204 },
  ]);
  const deleted = await releaseFirewalls(api, [5, 6], { serverId: 1, sleep: (ms) => clock.sleep(ms) });
  assert.deepEqual(deleted, [5]);
  assert.deepEqual(clock.sleeps, [2000]);
  script.done();
});

Deno.test("POST /servers carries firewalls as [{firewall: id}] and the server decodes its firewall ids", async () => {
  const server = serverJson(61234567, {}, { name: "crabbox-a-1" });
  server.public_net.firewalls = [{ id: 5, status: "pending" }] as never;
  const { api, script } = clientFor([{
    method: "POST",
    path: "/servers",
    body: {
      name: "crabbox-a-1",
      server_type: "ccx13",
      image: "ubuntu-24.04",
      start_after_create: true,
      public_net: { enable_ipv4: true, enable_ipv6: false },
      ssh_keys: ["k"],
      user_data: "#cloud-config\n",
      labels: { crabbox: "true" },
      firewalls: [{ firewall: 5 }],
    },
    status: 201,
    response: { server, action: actionJson(77, "create_server"), next_actions: [], root_password: null },
  }]);
  const created = await api.createServer({
    name: "crabbox-a-1",
    serverType: "ccx13",
    image: "ubuntu-24.04",
    sshKeys: ["k"],
    userData: "#cloud-config\n",
    labels: { crabbox: "true" },
    firewalls: [5],
  });
  assert.deepEqual(created.server.firewallIds, [5]);
  script.done();
});
