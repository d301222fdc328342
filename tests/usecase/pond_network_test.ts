/**
 * The pond network race (lease/pond_network.ts): two CLIs leasing a pond's first member at once end
 * with one network — by the unique name (409 → adopt), and by the lowest id when two land anyway.
 */
import assert from "node:assert/strict";
import { ManualClock, MemoryHetzner } from "../cmd/_fakes.ts";
import { ensurePondNetwork, locationsInZone } from "../../lease/pond_network.ts";
import type { CreateNetworkRequest, Network } from "../../providers/hetzner/port.ts";
import { CrabboxError } from "../../core/errors.ts";

const request = { pond: "pr-42", owner: "alice", ipRange: "10.90.0.0/16", locations: ["fsn1"] };

Deno.test("racing first members: the second POST gets 409 and adopts the first network", async () => {
  const api = new MemoryHetzner(new ManualClock());
  const notes: string[] = [];
  const [a, b] = await Promise.all([
    ensurePondNetwork(api, request, (m) => notes.push(m)),
    ensurePondNetwork(api, request, (m) => notes.push(m)),
  ]);
  assert.equal(a.id, b.id);
  assert.equal(api.networks.size, 1);
  assert.deepEqual(a.labels, { crabbox: "true", created_by: "crabbox", pond: "pr-42", owner: "alice" });
  assert.deepEqual(a.subnets, [{ ipRange: a.ipRange, networkZone: "eu-central" }]);
  assert.equal(api.calls.filter((c) => c === "createNetwork").length, 2, "both tried");
  assert.equal(notes.length, 1, "one created it");
});

Deno.test("two creates that both land: the lowest id wins and the loser deletes its own", async () => {
  const api = new MemoryHetzner(new ManualClock());
  // A project where names do not collide (an older CLI's name): both POSTs succeed.
  const create = api.createNetwork.bind(api);
  const created: number[] = [];
  let n = 0;
  api.createNetwork = async (r: CreateNetworkRequest): Promise<Network> => {
    const network = await create({ ...r, name: `${r.name}-${++n}` });
    created.push(network.id);
    return network;
  };
  const [a, b] = await Promise.all([
    ensurePondNetwork(api, request, () => {}),
    ensurePondNetwork(api, request, () => {}),
  ]);
  assert.equal(a.id, b.id);
  assert.deepEqual([...api.networks.keys()], [a.id], "the loser's network is gone");
  assert.equal(created.length, 2, "both landed");
  assert.equal(a.id, Math.min(...created), "the lowest id won");
});

Deno.test("an existing pond network is adopted without a create; members stay in its zone", async () => {
  const api = new MemoryHetzner(new ManualClock());
  const first = await ensurePondNetwork(api, request, () => {});
  api.calls.length = 0;
  const again = await ensurePondNetwork(api, { ...request, locations: ["hel1"] }, () => {});
  assert.equal(again.id, first.id);
  assert.deepEqual(api.calls, ["listNetworks"]);
  assert.deepEqual(locationsInZone(first, ["ash", "nbg1", "hel1"]), ["nbg1", "hel1"]);
  assert.throws(() => locationsInZone(first, ["ash"]), (error: unknown) => {
    assert.ok(error instanceof CrabboxError);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /network \d+ is in network zone eu-central, none of ash is/);
    return true;
  });
});

Deno.test("the /24 skips those other ponds' networks use; a full range is a config error", async () => {
  const api = new MemoryHetzner(new ManualClock());
  const small = { ...request, ipRange: "10.90.0.0/24" };
  const one = await ensurePondNetwork(api, small, () => {});
  assert.equal(one.ipRange, "10.90.0.0/24");
  await assert.rejects(ensurePondNetwork(api, { ...small, pond: "pr-43" }, () => {}), (error: unknown) => {
    assert.ok(error instanceof CrabboxError);
    assert.equal(error.exitCode, 2);
    assert.equal(error.message, "pond.ipRange 10.90.0.0/24 has no free /24 left for pond pr-43");
    return true;
  });
  const wide = await ensurePondNetwork(api, { ...request, ipRange: "10.90.0.0/23", pond: "pr-44" }, () => {});
  assert.equal(wide.ipRange, "10.90.1.0/24");
});
