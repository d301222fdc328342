/**
 * The fake's private networks through Prism (every request and answer held to Hetzner's document):
 * create, list by label and name, get, attach at create and by attach_to_network, its errors, delete
 * detaching the servers — and a TCP connection from one box to another's private IP. Needs root.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";

Deno.test("harness networks: the API as documented, and private IPs that really route", async () => {
  const harness = await startHarness();
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${harness.endpoint}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${harness.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  try {
    const labels = { crabbox: "true", created_by: "crabbox", pond: "pr-42" };
    const body = {
      name: "crabbox-pond-pr-42",
      ip_range: "10.90.9.0/24",
      labels,
      subnets: [{ type: "cloud", ip_range: "10.90.9.0/24", network_zone: "eu-central" }],
    };
    const created = await api("POST", "/networks", body);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const network = created.json.network;
    assert.deepEqual(network.subnets, [{
      type: "cloud",
      ip_range: "10.90.9.0/24",
      network_zone: "eu-central",
      gateway: "10.90.9.1",
      vswitch_id: null,
    }]);
    assert.equal((await api("POST", "/networks", body)).json.error.code, "uniqueness_error");
    const bad = await api("POST", "/networks", { ...body, name: "x", ip_range: "8.8.8.0/24" });
    assert.deepEqual([bad.status, bad.json.error.code], [422, "invalid_input"]);
    const listed = await api("GET", "/networks?label_selector=pond%3Dpr-42");
    assert.deepEqual(listed.json.networks.map((n: { id: number }) => n.id), [network.id]);
    assert.deepEqual((await api("GET", "/networks?name=nope")).json.networks, []);

    const server = async (name: string, networks?: number[]) => {
      const r = await api("POST", "/servers", {
        name,
        server_type: "cx23",
        image: "ubuntu-24.04",
        location: "fsn1",
        ...(networks ? { networks } : {}),
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json;
    };
    const a = await server("net-a", [network.id]);
    assert.deepEqual(a.next_actions.map((x: { command: string }) => x.command), [
      "start_server",
      "attach_to_network",
    ]);
    const b = (await server("net-b")).server;
    assert.deepEqual(b.private_net, []);
    const attach = await api("POST", `/servers/${b.id}/actions/attach_to_network`, { network: network.id });
    assert.equal(attach.status, 201, JSON.stringify(attach.json));
    assert.equal(attach.json.action.command, "attach_to_network");
    const twice = await api("POST", `/servers/${b.id}/actions/attach_to_network`, { network: network.id });
    assert.deepEqual([twice.status, twice.json.error.code], [422, "server_already_attached"]);
    const ipA = (await api("GET", `/servers/${a.server.id}`)).json.server.private_net[0].ip;
    const ipB = (await api("GET", `/servers/${b.id}`)).json.server.private_net[0].ip;
    assert.deepEqual([ipA, ipB], ["10.90.9.2", "10.90.9.3"], "lowest free first; .1 is the gateway");
    assert.deepEqual((await api("GET", `/networks/${network.id}`)).json.network.servers, [a.server.id, b.id]);
    assert.equal(
      (await api("POST", "/servers", {
        name: "net-c",
        server_type: "cx23",
        image: "ubuntu-24.04",
        networks: [1],
      }))
        .status,
      422,
      "an unknown network refuses the create",
    );

    // Box a dials box b's image sshd (port 22) on its private IP.
    const boxA = harness.fake.servers.get(a.server.id)!.box!;
    const dial = ["bash", "-c", `exec 3<>/dev/tcp/${ipB}/22 && head -c 8 <&3`];
    const deadline = Date.now() + 10_000;
    let reply = await boxA.exec(dial);
    while (reply.stdout !== "SSH-2.0-" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await boxA.exec(dial);
    }
    assert.equal(reply.stdout, "SSH-2.0-", reply.stderr);

    const deleted = await api("DELETE", `/networks/${network.id}`);
    assert.equal(deleted.status, 204);
    assert.deepEqual((await api("GET", `/servers/${b.id}`)).json.server.private_net, [], "detached");
    assert.equal((await api("GET", `/networks/${network.id}`)).status, 404);
    for (const id of [a.server.id, b.id]) assert.equal((await api("DELETE", `/servers/${id}`)).status, 200);
    assert.deepEqual(harness.violations(), []);
  } finally {
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
