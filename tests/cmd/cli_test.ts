/** The whole CLI in process with fake Deps: exact stdout/stderr and exit codes. */
import assert from "node:assert/strict";
import { CANARY_TOKEN, fakeCli } from "./_fakes.ts";
import { leaseLabels } from "./_setup.ts";
import { GOLDEN_DIR } from "./golden.ts";

const golden = (name: string) => Deno.readTextFile(new URL(name, GOLDEN_DIR));

Deno.test("help <command> prints its --help (golden files; bare crabbox is in crabbox.error.txt)", async () => {
  const cli = await fakeCli();
  try {
    const runHelp = await cli.run("help", "run");
    assert.equal(runHelp.code, 0);
    assert.equal(runHelp.stdout, await golden("run.help.txt"));
    assert.deepEqual(cli.hetzner.calls, [], "help never calls the API");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("a reader that goes away (| head) never crashes help or output; later writes are dropped", async () => {
  const cli = await fakeCli();
  try {
    cli.io.stdoutLimit = 20;
    const help = await cli.run("--help");
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, "Usage: crabbox [opti");
    assert.doesNotMatch(help.stderr, /Uncaught|this is a bug/);
    for (
      const [id, lease, slug] of [[8, "cbx_cccccccccccc", "coral-crab"], [9, "cbx_dddddddddddd", "dune-crab"]]
    ) {
      cli.hetzner.addServer({ id: id as number, labels: leaseLabels(lease as string, slug as string) });
    }
    cli.io.stdoutLimit = 30;
    const list = await cli.run("list");
    assert.equal(list.stdout.length, 30);
    assert.doesNotMatch(list.stderr, /Uncaught|this is a bug/);
    // As SIGPIPE would: silent, no "cleaning up" chatter after `| head`.
    assert.doesNotMatch(list.stderr, /^crabbox: /m);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("usage mistakes exit 2 with one error line and a hint, before any API call", async () => {
  const cli = await fakeCli();
  try {
    const rows: [string[], RegExp][] = [
      [["lsit"], /^crabbox: error: unknown command 'lsit'\ncrabbox: hint: \(Did you mean list\?\)\n$/],
      [["run"], /^crabbox: error: no command given\ncrabbox: hint: put the command after --/],
      [
        ["run", "--id", "x", "--class", "small", "--", "ls"],
        /^crabbox: error: --class cannot be used with --id\n/,
      ],
      [["run", "--ttl", "90", "--", "ls"], /^crabbox: error: --ttl 90: invalid duration "90"/],
      [
        ["run", "--ttl", "10m", "--idle-timeout", "20m", "--", "ls"],
        /^crabbox: error: idleTimeout 20m \(flag --idle-timeout\) is longer than ttl 10m \(flag --ttl\)/,
      ],
      [
        ["stop"],
        /^crabbox: error: no lease given\ncrabbox: hint: usage: crabbox stop <lease-id\|slug\|server-id\|name>\n$/,
      ],
      [["stop", "a", "b"], /^crabbox: error: stop takes exactly one lease\n/],
      [
        ["run", "--stop", "sometimes", "--", "ls"],
        /^crabbox: error: option '--stop <policy>' argument 'sometimes' is invalid/,
      ],
      [["list", "--provider", "aws"], /^crabbox: error: unknown provider "aws"/],
    ];
    for (const [argv, stderr] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, stderr, argv.join(" "));
    }
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("--json errors are one document on stdout", async () => {
  const cli = await fakeCli({ env: { HCLOUD_TOKEN: "" } });
  try {
    const result = await cli.run("list", "--json");
    assert.equal(result.code, 3);
    assert.deepEqual(JSON.parse(result.stdout), {
      error: {
        kind: "auth",
        message: "HCLOUD_TOKEN is not set",
        hint: null,
        exitCode: 3,
      },
    });
  } finally {
    await cli.cleanup();
  }
});

Deno.test("list: empty, table and JSON; never writes labels", async () => {
  const cli = await fakeCli();
  try {
    const empty = await cli.run("list");
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "");
    assert.equal(empty.stderr, "crabbox: no crabbox servers\n");
    cli.hetzner.addServer({
      id: 61234567,
      name: "crabbox-violet-prawn-40675f31",
      labels: leaseLabels("cbx_0123456789ab", "violet-prawn"),
    });
    cli.hetzner.addServer({ id: 2, name: "foreign", labels: { crabbox: "true", slug: "x" } });
    const table = await cli.run("list");
    assert.equal(
      table.stdout,
      "LEASE             SLUG          STATE  KEEP  TYPE   LOC   IPV4         OWNER         EXPIRES             AGE   WHY         PRICE/H  COST\n" +
        "cbx_0123456789ab  violet-prawn  ready  no    ccx63  fsn1  203.0.113.7  alice_laptop  in 30m (ttl 1h30m)  0.0s  idle timer  €0.4659  €0.4659\n",
    );
    const json = await cli.run("list", "--json");
    const [lease] = JSON.parse(json.stdout);
    assert.equal(lease.id, "cbx_0123456789ab");
    assert.equal(lease.expiresAt, "2026-05-01T12:30:00Z");
    assert.equal(lease.ttlDeadline, "2026-05-01T13:30:00Z");
    assert.equal(lease.localKey, false);
    // The first hour is billed at creation; a minute into the second, two.
    assert.deepEqual([lease.priceHourly, lease.costSoFar, lease.currency], [0.4659, 0.4659, "EUR"]);
    cli.clock.nowMs += 61 * 60_000;
    const later = JSON.parse((await cli.run("list", "--json")).stdout)[0];
    assert.equal(later.costSoFar, 0.9318);
    const all = await cli.run("list", "--all");
    assert.match(all.stdout, /FOREIGN/);
    assert.ok(!cli.hetzner.calls.includes("replaceServerLabels"));
  } finally {
    await cli.cleanup();
  }
});

Deno.test("stop: refuses foreign servers, asks --force for busy or other owners, already gone exits 0", async () => {
  const cli = await fakeCli();
  try {
    cli.hetzner.addServer({ id: 5, name: "web-1", labels: { env: "prod" } });
    const foreign = await cli.run("stop", "5");
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /^crabbox: error: refusing to operate on non-crabbox server 5$/m);
    cli.hetzner.addServer({
      id: 6,
      labels: leaseLabels("cbx_aaaaaaaaaaaa", "amber-crab", { owner: "bob_ci" }),
    });
    const other = await cli.run("stop", "amber-crab");
    assert.equal(other.code, 2);
    assert.match(other.stderr, /belongs to bob_ci, not alice_laptop\ncrabbox: hint: pass --force/);
    cli.hetzner.addServer({
      id: 7,
      labels: leaseLabels("cbx_bbbbbbbbbbbb", "blue-crab", { state: "running", run: "run_1" }),
    });
    const busy = await cli.run("stop", "cbx_bbbbbbbbbbbb");
    assert.equal(busy.code, 2);
    assert.match(
      busy.stderr,
      /is running by run_1 and its box lock cannot be checked from this machine \(no lease key here\)\ncrabbox: hint: pass --force/,
    );
    const forced = await cli.run("stop", "blue-crab", "--force", "--json");
    assert.equal(forced.code, 0, forced.stderr);
    const stopped = JSON.parse(forced.stdout);
    assert.deepEqual([stopped.id, stopped.result, stopped.serverId, stopped.sshKeyDeleted], [
      "cbx_bbbbbbbbbbbb",
      "released",
      7,
      false,
    ]);
    assert.match(stopped.serverName, /^server-\d+$/);
    assert.ok(!cli.hetzner.servers.has(7));
    const gone = await cli.run("stop", "cbx_bbbbbbbbbbbb");
    assert.equal(gone.code, 0);
    assert.equal(gone.stdout, "already gone cbx_bbbbbbbbbbbb\n");
    const unknown = await cli.run("stop", "no-such-box");
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /^crabbox: error: lease\/server not found: no-such-box$/m);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("ambiguous slug lists every match and exits 4", async () => {
  const cli = await fakeCli();
  try {
    cli.hetzner.addServer({ id: 8, labels: leaseLabels("cbx_cccccccccccc", "twin") });
    cli.hetzner.addServer({ id: 9, labels: leaseLabels("cbx_dddddddddddd", "twin") });
    const result = await cli.run("status", "twin");
    assert.equal(result.code, 4);
    assert.match(
      result.stderr,
      /slug "twin" matches multiple leases:\ncrabbox: lease=cbx_cccccccccccc slug=twin server=8 owner=alice_laptop ip=203\.0\.113\.7\ncrabbox: lease=cbx_dddddddddddd/,
    );
  } finally {
    await cli.cleanup();
  }
});

Deno.test("config mistakes name the file, line and fix; nothing is created", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-cfg-" });
  await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  const cli = await fakeCli({ cwd: repo });
  try {
    const rows: [string, RegExp][] = [
      [
        "class: small\nidleTimout: 5m\n",
        /\.crabbox\.yaml:2:1: unknown key "idleTimout" \(did you mean "idleTimeout"\?\)/,
      ],
      ["ttl: 90\n", /\.crabbox\.yaml:1:6: ttl must be a duration like 90m or 1h30m, got 90/],
      ["ttl: 200h\n", /\.crabbox\.yaml:1:6: ttl must be at most 168h/],
      [
        "hetzner:\n  endpoint: https://evil.example\n",
        /\.crabbox\.yaml:2:3: hetzner\.endpoint may only be set in the user config/,
      ],
      [
        "jobs:\n  test:\n    comand: pnpm test\n",
        /\.crabbox\.yaml:3:5: unknown key "comand" in jobs\.test \(did you mean "command"\?\)/,
      ],
      [`env:\n  set:\n    X: ${CANARY_TOKEN.slice(0, 64)}\n`, /a value that looks like a 64-character token/],
      ["class: a\nclass: b\n", /\.crabbox\.yaml:2:1: Map keys must be unique/],
    ];
    for (const [yaml, message] of rows) {
      await Deno.writeTextFile(`${repo}/.crabbox.yaml`, yaml);
      const result = await cli.run("run", "--", "ls");
      assert.equal(result.code, 2, `${yaml}: ${result.stderr}`);
      assert.match(result.stderr, message, yaml);
      assert.ok(!result.stderr.includes(CANARY_TOKEN.slice(0, 64)), "a secret value was echoed");
    }
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("config show names every value's source and never the token", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-show-" });
  await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "class: small\nttl: 2h\n");
  const cli = await fakeCli({ cwd: repo, env: { CRABBOX_IDLE_TIMEOUT: "20m" } });
  try {
    const result = await cli.run("config", "show");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^class=small {2}\(repo \S+\.crabbox\.yaml:1\)$/m);
    assert.match(result.stdout, /^ttl=2h {2}\(repo \S+\.crabbox\.yaml:2\)$/m);
    assert.match(result.stdout, /^idleTimeout=20m {2}\(env CRABBOX_IDLE_TIMEOUT\)$/m);
    assert.match(result.stdout, /^workRoot=\/work\/crabbox {2}\(default\)$/m);
    assert.match(result.stdout, /^token=set \(\d+ chars, from HCLOUD_TOKEN\)$/m);
    assert.ok(!result.stdout.includes(CANARY_TOKEN));
    const json = JSON.parse((await cli.run("config", "show", "--json")).stdout);
    assert.deepEqual(json.values.ttl, { value: "2h", source: `repo ${repo}/.crabbox.yaml:2` });
    assert.deepEqual(json.token, { state: "set", source: "HCLOUD_TOKEN" });
    assert.equal((await cli.run("config", "path", "--repo")).stdout, `${repo}/.crabbox.yaml\n`);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});
