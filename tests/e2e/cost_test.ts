/**
 * Cost and budget against the harness (behind Prism, which holds GET /server_types to Hetzner's schema):
 * prices match the fake's catalogue, are fetched once and then cached, the run summary says what a run
 * cost (a warm run: what the box has cost), `usage --json` adds up, and `budget.maxActive: 1` refuses a second warmup with nothing created.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { SERVER_TYPES } from "../harness/catalog.ts";
import { sandbox } from "./_cli.ts";

/** The fake's net hourly price of a type (every location is priced alike). */
const catalogHourly = (type: string) => Number(SERVER_TYPES.find(([name]) => name === type)![6]);

Deno.test("prices, run cost, usage and a maxActive budget on the harness", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  const priceRequests = () => fake.log.filter((r) => r.path === "/server_types").length;
  let slug = "";
  try {
    await t.step("a one-shot run prints the price first and its cost in the summary", async () => {
      const run = await box.crabbox(["run", "--class", "tiny", "--no-sync", "--", "true"]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^crabbox: leasing ccx13 in fsn1 at €0\.0200\/h \(net, estimate\)$/m);
      assert.match(run.stderr, /^crabbox: summary lease=cbx_\S+ .* cost=€0\.0200 exit=0$/m);
      assert.equal(priceRequests(), 1);
    });

    await t.step("list --json shows the fake's prices; the cache spares a second request", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny"]);
      assert.equal(warm.code, 0, warm.stderr);
      const list = await box.crabbox(["list", "--json"]);
      assert.equal(list.code, 0, list.stderr);
      const [lease] = JSON.parse(list.stdout);
      slug = lease.slug;
      assert.equal(lease.serverType, "ccx13");
      assert.equal(lease.priceHourly, catalogHourly("ccx13"));
      assert.equal(lease.costSoFar, catalogHourly("ccx13"), "the first started hour");
      assert.equal(lease.currency, "EUR");
      assert.equal(priceRequests(), 1, "prices come from the day-long cache");
      const table = await box.crabbox(["list"]);
      assert.match(table.stdout, /^LEASE +SLUG .* AGE +WHY +PRICE\/H +COST$/m);
      assert.match(table.stdout, / €0\.0200 +€0\.0200$/m);
    });

    await t.step(
      "a warm run inside the paid hour: no cost=€0.0000, the box's bill so far instead",
      async () => {
        const run = await box.crabbox(["run", "--id", slug, "--no-sync", "--", "true"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /^crabbox: summary lease=cbx_\S+ .* total=\S+ box_cost=€0\.0200 exit=0$/m);
      },
    );

    await t.step("usage --json adds up", async () => {
      const usage = await box.crabbox(["usage", "--all", "--json"]);
      assert.equal(usage.code, 0, usage.stderr);
      const report = JSON.parse(usage.stdout);
      assert.equal(report.totals.boxes, 1);
      const sum = report.boxes.reduce((total: number, b: { costSoFar: number }) => total + b.costSoFar, 0);
      assert.equal(Math.round(sum * 1e6) / 1e6, report.totals.costSoFar);
      assert.equal(report.totals.priceHourly, catalogHourly("ccx13"));
      assert.deepEqual(report.boxes.map((b: { slug: string; why: string }) => [b.slug, b.why]), [[
        slug,
        "not_expired",
      ]]);
    });

    await t.step("budget.maxActive 1 refuses a second warmup: exit 8, nothing created", async () => {
      await Deno.mkdir(`${box.home}/.config/crabbox`, { recursive: true });
      await Deno.writeTextFile(`${box.home}/.config/crabbox/config.yaml`, "budget:\n  maxActive: 1\n");
      const logBefore = fake.log.length;
      const servers = fake.servers.size;
      const refused = await box.crabbox(["warmup", "--class", "tiny"]);
      assert.equal(refused.code, 8, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^crabbox: error: over budget: budget\\.maxActive is 1 box \\(owner \\S+\\) and 1 box is alive; 1 more would make 2; nothing created; crabbox stop ${slug} frees €0\\.0200/h$`,
          "m",
        ),
      );
      assert.equal(fake.servers.size, servers);
      assert.deepEqual(fake.log.slice(logBefore).filter((r) => r.method !== "GET"), [], "no create, no key");
      const doctor = await box.crabbox(["doctor"]);
      assert.match(doctor.stdout, /^warn +budget +maxActive 1: 1 box alive .*; the next create is refused/m);
    });

    await t.step("stop frees it", async () => {
      const stop = await box.crabbox(["stop", slug]);
      assert.equal(stop.code, 0, stop.stderr);
    });
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
