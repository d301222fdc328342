/** `crabbox pond …` and --pond in process: help, mistakes (exit 2, no API call), the JSON shapes. */
import assert from "node:assert/strict";
import { fakeCli, type MemoryHetzner } from "./_fakes.ts";
import { leaseLabels } from "./_setup.ts";

const member = (lease: string, slug: string, extra: Record<string, string> = {}) =>
  leaseLabels(lease, slug, { pond: "pr-42", ...extra });

/** Pond pr-42's network, as its first member made it. */
const pondNetwork = (cli: { hetzner: MemoryHetzner }) =>
  cli.hetzner.createNetwork({
    name: "crabbox-pond-pr-42",
    ipRange: "10.90.7.0/24",
    networkZone: "eu-central",
    labels: { crabbox: "true", created_by: "crabbox", pond: "pr-42", owner: "alice_laptop" },
  });

Deno.test("pond help names its subcommands; --pond is on warmup, run and list", async () => {
  const cli = await fakeCli();
  try {
    const help = await cli.run("pond", "--help");
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: crabbox pond \[options\] \[command\]/);
    for (const sub of ["list", "peers <name>", "release \\[options\\] <name>"]) {
      assert.match(help.stdout, new RegExp(`^ {2}${sub}`, "m"), sub);
    }
    for (const command of ["warmup", "run", "list"]) {
      const page = await cli.run(command, "--help");
      assert.match(page.stdout, /^ {2}--pond <name> /m, command);
    }
    const release = await cli.run("pond", "release", "--help");
    assert.match(release.stdout, /--dry-run/);
    assert.deepEqual(cli.hetzner.calls, [], "help never calls the API");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("a --pond or pond name without a letter or digit, or too long, is exit 2 before any API call", async () => {
  const cli = await fakeCli();
  try {
    const rows: [string[], RegExp][] = [
      [["warmup", "--pond", "!!!"], /^crabbox: error: --pond must contain at least one letter or digit$/m],
      [
        ["warmup", "--pond", "x".repeat(42)],
        /^crabbox: error: --pond must be 41 characters or fewer after normalization$/m,
      ],
      [
        ["run", "--pond", "--", "--", "true"],
        /^crabbox: error: --pond must contain at least one letter or digit$/m,
      ],
      [["list", "--pond", "__"], /^crabbox: error: --pond must contain at least one letter or digit$/m],
      [["pond", "peers", "//"], /^crabbox: error: pond name must contain at least one letter or digit$/m],
      [["pond", "release", ""], /^crabbox: error: pond name must contain at least one letter or digit$/m],
      [
        ["run", "--id", "db", "--pond", "pr-42", "--", "true"],
        /^crabbox: error: --pond cannot be used with --id$/m,
      ],
      [["pond", "peers"], /missing required argument 'name'/],
    ];
    for (const [argv, message] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, argv.join(" "));
    }
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("pond peers --json: the issue's shape, pending without a private IP; unknown pond exit 4", async () => {
  const cli = await fakeCli();
  try {
    const network = await pondNetwork(cli);
    cli.hetzner.addServer({
      id: 11,
      labels: member("cbx_aaaaaaaaaaaa", "db"),
      ipv4: "203.0.113.11",
      privateNet: [{ network: network.id, ip: "10.90.7.2" }],
    });
    cli.hetzner.addServer({
      id: 12,
      labels: member("cbx_bbbbbbbbbbbb", "api", { state: "provisioning" }),
      ipv4: "203.0.113.12",
    });
    cli.hetzner.addServer({ id: 13, labels: member("cbx_cccccccccccc", "old", { state: "released" }) });
    const peers = await cli.run("pond", "peers", "PR-42", "--json");
    assert.equal(peers.code, 0, peers.stderr);
    assert.deepEqual(JSON.parse(peers.stdout), {
      pond: "pr-42",
      network: { id: network.id, ipRange: "10.90.7.0/24" },
      members: [
        {
          slug: "db",
          leaseId: "cbx_aaaaaaaaaaaa",
          serverId: 11,
          state: "ready",
          privateIp: "10.90.7.2",
          publicIp: "203.0.113.11",
          transport: "private",
          endpoint: "db.cbx",
        },
        {
          slug: "api",
          leaseId: "cbx_bbbbbbbbbbbb",
          serverId: 12,
          state: "provisioning",
          privateIp: null,
          publicIp: "203.0.113.12",
          transport: "pending",
          endpoint: null,
        },
      ],
    });
    const human = await cli.run("pond", "peers", "pr-42");
    assert.match(human.stdout, /^pond=pr-42 network=\d+ 10\.90\.7\.0\/24$/m);
    assert.match(human.stdout, /^api lease=cbx_bbbbbbbbbbbb server=12 state=provisioning private=pending /m);
    const list = await cli.run("pond", "list");
    assert.match(list.stdout, /^pond=pr-42 members=3 \(api, db, old\) network=\d+ 10\.90\.7\.0\/24$/m);
    const missing = await cli.run("pond", "peers", "pr-7");
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /^crabbox: error: pond pr-7 not found$/m);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("pond release: dry run changes nothing; the real one stops members and deletes the network", async () => {
  const cli = await fakeCli();
  try {
    const network = await pondNetwork(cli);
    cli.hetzner.addServer({ id: 21, labels: member("cbx_aaaaaaaaaaaa", "db") });
    const dry = await cli.run("pond", "release", "pr-42", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      `would_release cbx_aaaaaaaaaaaa slug=db server=21\nwould_delete network=${network.id} 10.90.7.0/24\n`,
    );
    assert.equal(cli.hetzner.servers.size, 1);
    const real = await cli.run("pond", "release", "pr-42");
    assert.equal(real.code, 0, real.stderr);
    assert.equal(
      real.stdout,
      `released cbx_aaaaaaaaaaaa slug=db server=21\ndeleted network=${network.id} 10.90.7.0/24\n`,
    );
    assert.deepEqual([cli.hetzner.servers.size, cli.hetzner.networks.size], [0, 0]);
    const again = await cli.run("pond", "release", "pr-42");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, "pond pr-42: nothing to release\n");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("config: a job's pond: key and pond.ipRange are checked with file:line, exit 2, no API call", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-pond-" });
  await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  try {
    const rows: [string, string[], RegExp][] = [
      [
        "jobs:\n  e2e:\n    command: make e2e\n    pond: '!!!'\n",
        ["job", "run", "e2e"],
        /^crabbox: error: .*\.crabbox\.yaml:4:11: jobs\.e2e\.pond .*must contain at least one letter or digit/m,
      ],
      [
        "pond:\n  ipRange: 8.8.8.0/24\n",
        ["warmup", "--pond", "pr-42"],
        /^crabbox: error: .*\.crabbox\.yaml:2:12: pond\.ipRange .*"8\.8\.8\.0\/24" is not a private \(RFC 1918\) range/m,
      ],
    ];
    for (const [yaml, argv, message] of rows) {
      await Deno.writeTextFile(`${repo}/.crabbox.yaml`, yaml);
      const cli = await fakeCli({ cwd: repo });
      try {
        const result = await cli.run(...argv);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, message);
        assert.deepEqual(cli.hetzner.calls, []);
      } finally {
        await cli.cleanup();
      }
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});
