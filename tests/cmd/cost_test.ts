/**
 * Cost and budget through the whole CLI in process: the price line before a create, cost columns and
 * JSON fields, `usage`, budget refusals (exit 8, nothing created), and prices that cannot be fetched.
 */
import assert from "node:assert/strict";
import { apiError, type Harnessed } from "./_fakes.ts";
import { leaseLabels, quietCli } from "./_setup.ts";

/** A CLI without ssh multiplexing and with these budget lines. */
const cliWith = (budget = ""): Promise<Harnessed> => quietCli({ config: budget ? `budget:\n${budget}` : "" });

const created = (cli: Harnessed) =>
  cli.hetzner.calls.filter((c) => c === "createServer" || c === "createSshKey");

Deno.test("warmup prints the price before it creates; maxActive 1 refuses the second with exit 8, nothing created", async () => {
  const cli = await cliWith("  maxActive: 1\n");
  try {
    const first = await cli.run("warmup", "--class", "tiny", "--no-wait");
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stderr.split("\n");
    const priced = lines.indexOf("crabbox: leasing ccx13 in fsn1 at €0.0200/h (net, estimate)");
    assert.ok(priced > 0, first.stderr);
    assert.ok(priced < lines.findIndex((l) => l.startsWith("crabbox: created server ")), "before the create");
    const [slug] = [...cli.hetzner.servers.values()].map((s) => s.labels.slug);

    cli.hetzner.calls.length = 0;
    const second = await cli.run("warmup", "--class", "tiny", "--no-wait");
    assert.equal(second.code, 8, second.stderr);
    assert.equal(
      second.stderr,
      "crabbox: error: over budget: budget.maxActive is 1 box (owner alice_laptop) and 1 box is alive; 1 more " +
        `would make 2; nothing created; crabbox stop ${slug} frees €0.0200/h\n` +
        "crabbox: hint: or raise budget.maxActive in your config (crabbox usage shows every box)\n",
    );
    assert.deepEqual(created(cli), []);
    assert.equal(cli.hetzner.servers.size, 1);
    const leases = [...Deno.readDirSync(`${cli.home}/.config/crabbox/leases`)];
    assert.equal(leases.length, 1, "no lease dir or key for the refused box");

    const run = await cli.run("run", "--class", "tiny", "--no-sync", "--", "true");
    assert.equal(run.code, 8, run.stderr);
    assert.match(run.stderr, /^crabbox: error: over budget: budget\.maxActive is 1 box/m);
    const pool = await cli.run("warmup", "--pool", "ci", "--count", "2", "--json");
    assert.equal(pool.code, 8);
    assert.deepEqual(JSON.parse(pool.stdout).error.kind, "budget");
    assert.match(pool.stderr, /and 1 box is alive; 2 more would make 3; nothing created/);
    assert.deepEqual(created(cli), []);
    assert.equal(cli.hetzner.servers.size, 1);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("maxHourly: the dearest type a create may fall back to counts; unknown prices only warn", async () => {
  const cli = await cliWith("  maxHourly: 0.5\n  scope: project\n");
  try {
    cli.hetzner.addServer({
      id: 7,
      labels: leaseLabels("cbx_000000000007", "bobs-crab", { owner: "bob_ci" }),
    });
    const refused = await cli.run("warmup", "--no-wait");
    assert.equal(refused.code, 8, refused.stderr);
    assert.match(
      refused.stderr,
      /^crabbox: error: over budget: budget\.maxHourly is €0\.5000\/h \(whole project\) and the boxes burn €0\.4659\/h; 1 × ccx63 at €0\.4659\/h would make €0\.9318\/h; nothing created; crabbox stop bobs-crab frees €0\.4659\/h$/m,
    );
    assert.deepEqual(created(cli), []);
    const fits = await cli.run("warmup", "--class", "tiny", "--no-wait");
    assert.equal(fits.code, 0, fits.stderr);

    // The fake's random bytes are fixed: a second create needs other ones for a new lease id.
    cli.deps.random = { bytes: (n) => crypto.getRandomValues(new Uint8Array(n)) };
    const unpriced = await cli.run("warmup", "--class", "cx23", "--no-wait");
    assert.equal(unpriced.code, 0, unpriced.stderr);
    assert.match(
      unpriced.stderr,
      /^crabbox: warning: budget\.maxHourly not checked: no price known for cx23$/m,
    );
    assert.match(unpriced.stderr, /^crabbox: leasing cx23 in fsn1 \(price unknown\)$/m);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("usage: mine by default, --all the project; the JSON adds up; the human table names why", async () => {
  const cli = await cliWith();
  try {
    cli.hetzner.addServer({ id: 1, labels: leaseLabels("cbx_000000000001", "big-crab", { keep: "true" }) });
    cli.hetzner.addServer({
      id: 2,
      serverType: "ccx13",
      labels: leaseLabels("cbx_000000000002", "small-crab"),
    });
    cli.hetzner.addServer({
      id: 3,
      labels: leaseLabels("cbx_000000000003", "bobs-crab", { owner: "bob_ci" }),
    });
    cli.clock.nowMs += 61 * 60_000;
    const mine = await cli.run("usage", "--json");
    assert.equal(mine.code, 0, mine.stderr);
    const report = JSON.parse(mine.stdout);
    assert.equal(report.scope, "owner");
    assert.equal(report.owner, "alice_laptop");
    assert.deepEqual(report.boxes.map((b: { slug: string }) => b.slug), ["big-crab", "small-crab"]);
    assert.deepEqual(report.totals, { boxes: 2, priceHourly: 0.4859, costSoFar: 0.9718, unpriced: 0 });
    assert.deepEqual([report.boxes[0].why, report.boxes[1].why, report.boxes[1].sweep], [
      "keep_within_ttl",
      "expired",
      "delete",
    ]);
    const all = JSON.parse((await cli.run("usage", "--all", "--json")).stdout);
    assert.equal(all.scope, "project");
    assert.equal(all.totals.boxes, 3);
    const sum = all.boxes.reduce((total: number, b: { costSoFar: number }) => total + b.costSoFar, 0);
    assert.equal(Math.round(sum * 1e6) / 1e6, all.totals.costSoFar);

    const human = await cli.run("usage");
    assert.equal(
      human.stdout,
      "2 boxes of alice_laptop: €0.4859/h, €0.9718 so far (net prices, estimate)\n" +
        "SLUG        OWNER         TYPE   LOC   PRICE/H  COST     SWEEP   WHY\n" +
        "big-crab    alice_laptop  ccx63  fsn1  €0.4659  €0.9318  in 29m  keep, until ttl\n" +
        "small-crab  alice_laptop  ccx13  fsn1  €0.0200  €0.0400  due     sweep due (expired)\n",
    );
    assert.ok(!cli.hetzner.calls.includes("replaceServerLabels"), "usage never writes labels");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("prices that cannot be fetched: list, status and usage still work and show ?", async () => {
  const cli = await cliWith();
  try {
    cli.hetzner.addServer({ id: 9, labels: leaseLabels("cbx_000000000009", "some-crab") });
    cli.hetzner.failures.set("listServerTypes", apiError("GET", "/server_types", 503, "unavailable"));
    const list = await cli.run("list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^cbx_000000000009 .* idle timer {2}\? {8}\?$/m);
    // The failure is not cached: the next invocation asks again and gets prices.
    const status = await cli.run("status", "some-crab", "--json");
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout);
    assert.deepEqual([view.priceHourly, view.costSoFar, view.currency], [0.4659, 0.4659, "EUR"]);
    const human = await cli.run("status", "some-crab");
    assert.match(human.stdout, / price=€0\.4659\/h cost=€0\.4659\n$/);

    await Deno.remove(`${cli.home}/.local/state/crabbox/prices.json`);
    cli.hetzner.failures.set("listServerTypes", apiError("GET", "/server_types", 500, "server_error"));
    const usage = await cli.run("usage", "--json");
    assert.equal(usage.code, 0, usage.stderr);
    assert.deepEqual(JSON.parse(usage.stdout).totals, {
      boxes: 1,
      priceHourly: 0,
      costSoFar: 0,
      unpriced: 1,
    });
  } finally {
    await cli.cleanup();
  }
});
