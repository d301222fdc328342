/**
 * The price cache (lease/prices.ts): a day per endpoint in the state dir, aged on the Deps clock; a
 * failed fetch falls back to a stale cache, else to no prices, and never throws.
 */
import assert from "node:assert/strict";
import { loadPrices, PRICE_CACHE_MS, priceSource } from "../../lease/prices.ts";
import { apiError, fakeCli, pricedType } from "../cmd/_fakes.ts";

const HOUR = 3600_000;
const ENDPOINT = "http://127.0.0.1:1";

Deno.test("prices: fetched once, then read from the cache for a day; a future stamp is not fresh", async () => {
  const cli = await fakeCli();
  try {
    const { deps, hetzner, clock } = cli;
    const fetches = () => hetzner.calls.filter((c) => c === "listServerTypes").length;
    const load = () => loadPrices(deps, hetzner, { endpoint: ENDPOINT });
    assert.deepEqual((await load())?.ccx13.fsn1, { hourly: 0.02, monthly: 12.49 });
    const path = `${cli.home}/.local/state/crabbox/prices.json`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    hetzner.serverTypes = [pricedType("ccx13", 0.03, 15)];
    clock.nowMs += PRICE_CACHE_MS - HOUR;
    assert.equal((await load())?.ccx13.fsn1.hourly, 0.02, "still fresh: no request");
    assert.equal(fetches(), 1);
    assert.equal(
      (await loadPrices(deps, hetzner, { endpoint: "other" }))?.ccx13.fsn1.hourly,
      0.03,
      "per endpoint",
    );
    clock.nowMs += 2 * HOUR;
    assert.equal((await load())?.ccx13.fsn1.hourly, 0.03, "a day old: fetched again");
    clock.nowMs -= 3 * HOUR;
    assert.equal((await load())?.ccx13.fsn1.hourly, 0.03);
    assert.equal(fetches(), 4, "a stamp ahead of the clock is fetched again");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("prices: an API error uses a stale cache, else no prices; a corrupt cache is refetched", async () => {
  const cli = await fakeCli();
  try {
    const { deps, hetzner, clock } = cli;
    const load = () => loadPrices(deps, hetzner, { endpoint: ENDPOINT });
    const fail = () =>
      hetzner.failures.set("listServerTypes", apiError("GET", "/server_types", 503, "unavailable"));
    fail();
    assert.equal(await load(), null, "no cache, no answer: no prices");
    assert.ok(await load(), "the next call fetches");
    clock.nowMs += 2 * PRICE_CACHE_MS;
    fail();
    assert.equal((await load())?.ccx63.fsn1.hourly, 0.4659, "stale beats nothing");
    await Deno.writeTextFile(`${cli.home}/.local/state/crabbox/prices.json`, "{not json");
    assert.equal((await load())?.ccx63.fsn1.hourly, 0.4659);
    const source = priceSource(deps, hetzner, { endpoint: "memo" });
    const calls = hetzner.calls.length;
    await Promise.all([source.table(), source.table()]);
    assert.equal(hetzner.calls.length, calls + 1, "one load per invocation");
  } finally {
    await cli.cleanup();
  }
});
