/** `crabbox checkpoint …` in process: help, user mistakes (exit 2, no API call), not found (exit 4), output. */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

const NOW_SECS = Date.parse("2026-05-01T12:00:00Z") / 1000;
const checkpointLabels = (id: string, extra: Record<string, string> = {}) => ({
  crabbox: "true",
  created_by: "crabbox",
  checkpoint: id,
  owner: "alice_laptop",
  repo: "webapp",
  source_lease: "cbx_0123456789ab",
  created_at: String(NOW_SECS - 86400),
  last_used_at: String(NOW_SECS - 3600),
  expires_at: String(NOW_SECS + 6 * 86400),
  ...extra,
});

Deno.test("checkpoint help: every subcommand, no API call", async () => {
  const cli = await fakeCli();
  try {
    const help = await cli.run("checkpoint", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: crabbox checkpoint \[options\] \[command\]/);
    for (const sub of ["create", "list", "delete", "prune", "fork"]) {
      assert.match(help.stdout, new RegExp(`^  ${sub} `, "m"), sub);
    }
    const fork = await cli.run("help", "checkpoint", "fork");
    assert.equal(fork.code, 0);
    assert.match(fork.stdout, /^Usage: crabbox checkpoint fork \[options\] <checkpoint>/);
    assert.match(fork.stdout, /--class <class>/, "fork takes the lease-create flags");
    const create = await cli.run("help", "checkpoint", "create");
    assert.match(
      create.stdout,
      /--ttl <duration> +the sweep deletes it after this long, 1h–90d\s+\(default 7d\)/,
    );
    const warmup = await cli.run("help", "warmup");
    assert.match(warmup.stdout, /--from-checkpoint <id>/);
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("checkpoint mistakes: one line naming the flag, exit 2, no API call", async () => {
  const cli = await fakeCli();
  try {
    const rows: [string[], RegExp][] = [
      [
        ["checkpoint", "create", "cbx_0123456789ab", "--ttl", "2y"],
        /^crabbox: error: --ttl 2y: must be a duration between 1h and 90d$/m,
      ],
      [
        ["checkpoint", "create", "cbx_0123456789ab", "--ttl", "30m"],
        /^crabbox: error: --ttl 30m: must be a duration between 1h and 90d$/m,
      ],
      [
        ["checkpoint", "create", "cbx_0123456789ab", "--name", "my deps"],
        /^crabbox: error: --name "my deps": not a checkpoint name$/m,
      ],
      [
        ["checkpoint", "create", "cbx_0123456789ab", "--name", "chk_0123456789ab"],
        /--name "chk_0123456789ab": not a checkpoint name/,
      ],
      [["checkpoint", "create"], /missing required argument 'lease'/],
      [
        ["checkpoint", "fork", "not a ref!"],
        /^crabbox: error: "not a ref!" is not a checkpoint id or name$/m,
      ],
      [["checkpoint", "fork", "chk_123"], /"chk_123" is not a checkpoint id or name/],
      [["checkpoint", "delete", "a,b"], /"a,b" is not a checkpoint id or name/],
      [
        ["checkpoint", "prune", "--unused-for", "0s"],
        /^crabbox: error: --unused-for 0s: must be a duration between 1m and 365d$/m,
      ],
      [["checkpoint", "prune", "--unused-for", "soon"], /--unused-for soon: must be a duration/],
      [["warmup", "--from-checkpoint", "x!"], /"x!" is not a checkpoint id or name/],
      [
        ["checkpoint", "fork", "deps", "--image", "debian-12"],
        /--image cannot be combined with a checkpoint/,
      ],
      [["warmup", "--from-checkpoint", "deps", "--image", "debian-12"], /--image cannot be combined/],
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

Deno.test("an unknown checkpoint is not found (exit 4) and nothing is created", async () => {
  const cli = await fakeCli();
  try {
    for (const argv of [["fork", "chk_000000000000"], ["delete", "chk_000000000000"], ["fork", "deps"]]) {
      const result = await cli.run("checkpoint", ...argv);
      assert.equal(result.code, 4, `${argv.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^crabbox: error: checkpoint not found: ${argv[1]}$`, "m"));
      assert.match(result.stderr, /crabbox checkpoint list/);
    }
    assert.deepEqual([...new Set(cli.hetzner.calls)], ["listImages"]);
    const gone = await cli.run("checkpoint", "create", "cbx_0123456789ab");
    assert.equal(gone.code, 4, gone.stderr);
    assert.match(gone.stderr, /lease cbx_0123456789ab is gone/);
    assert.equal(cli.hetzner.images.size, 0);
    assert.equal(cli.hetzner.servers.size, 0);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("checkpoint list: a table with the total, and --json with count and size", async () => {
  const cli = await fakeCli();
  try {
    const empty = await cli.run("checkpoint", "list");
    assert.equal(empty.code, 0);
    assert.equal(empty.stderr, "crabbox: no checkpoints\n");
    cli.hetzner.addImage({ id: 71, labels: checkpointLabels("chk_aaaaaaaaaaaa", { name: "deps" }) });
    cli.hetzner.addImage({ id: 72, labels: checkpointLabels("chk_bbbbbbbbbbbb"), imageSizeGb: 2.5 });
    cli.hetzner.addImage({ id: 73, labels: {}, imageSizeGb: 9 });
    const list = await cli.run("checkpoint", "list");
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^CHECKPOINT +NAME +STATUS +REPO +SOURCE +SIZE +OWNER +LAST USED +EXPIRES$/);
    assert.match(
      lines[1],
      /^chk_aaaaaaaaaaaa +deps +available +webapp +cbx_0123456789ab +1\.5GB +alice_laptop /,
    );
    assert.match(lines[2], /^chk_bbbbbbbbbbbb +- +available /);
    assert.equal(lines[3], "2 checkpoints, 4 GB");
    const json = JSON.parse((await cli.run("checkpoint", "list", "--json")).stdout);
    assert.equal(json.count, 2);
    assert.equal(json.sizeGb, 4);
    assert.deepEqual(json.checkpoints.map((c: { id: string }) => c.id), [
      "chk_aaaaaaaaaaaa",
      "chk_bbbbbbbbbbbb",
    ]);
    const boxes = await cli.run("list");
    assert.equal(
      boxes.stderr,
      "crabbox: no crabbox servers\ncrabbox: 2 checkpoints, 4 GB (crabbox checkpoint list)\n",
    );
  } finally {
    await cli.cleanup();
  }
});

Deno.test("checkpoint delete and prune: owners, dry runs, and what stays", async () => {
  const cli = await fakeCli();
  try {
    cli.hetzner.addImage({ id: 81, labels: checkpointLabels("chk_aaaaaaaaaaaa", { owner: "bob" }) });
    const refused = await cli.run("checkpoint", "delete", "chk_aaaaaaaaaaaa");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /checkpoint chk_aaaaaaaaaaaa belongs to bob, not alice_laptop/);
    assert.match(refused.stderr, /--force/);
    assert.equal(cli.hetzner.images.size, 1);
    const forced = await cli.run("checkpoint", "delete", "chk_aaaaaaaaaaaa", "--force", "--json");
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout), { id: "chk_aaaaaaaaaaaa", imageId: 81, result: "deleted" });

    cli.hetzner.addImage({ id: 91, labels: checkpointLabels("chk_111111111111", { name: "fresh" }) });
    cli.hetzner.addImage({
      id: 92,
      labels: checkpointLabels("chk_222222222222", { last_used_at: String(NOW_SECS - 10 * 86400) }),
    });
    cli.hetzner.addImage({
      id: 93,
      labels: checkpointLabels("chk_333333333333", { expires_at: String(NOW_SECS - 1) }),
    });
    cli.hetzner.addImage({
      id: 94,
      labels: checkpointLabels("chk_444444444444", { owner: "bob", expires_at: "1" }),
    });
    cli.hetzner.addImage({ id: 95, labels: { crabbox: "true" } });
    const dry = await cli.run("checkpoint", "prune", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout.replace(/last_used=\S+/g, "last_used=…"),
      "would delete chk_222222222222 reason=unused last_used=…\n" +
        "would delete chk_333333333333 reason=expired last_used=…\n" +
        "prune (dry run) unused_for=7d deleted=2 kept=2 failed=0\n",
    );
    assert.equal(cli.hetzner.images.size, 5);
    const prune = await cli.run("checkpoint", "prune", "--unused-for", "1d");
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /^prune unused_for=1d deleted=2 kept=2 failed=0$/m);
    assert.deepEqual([...cli.hetzner.images.keys()].sort(), [91, 94, 95]);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("fork refuses a checkpoint still being made, and an --arch it was not made for", async () => {
  const cli = await fakeCli();
  try {
    cli.hetzner.addImage({ id: 61, labels: checkpointLabels("chk_aaaaaaaaaaaa"), status: "creating" });
    const creating = await cli.run("checkpoint", "fork", "chk_aaaaaaaaaaaa");
    assert.equal(creating.code, 2);
    assert.match(creating.stderr, /checkpoint chk_aaaaaaaaaaaa is creating, not available yet/);
    cli.hetzner.addImage({ id: 62, labels: checkpointLabels("chk_bbbbbbbbbbbb", { name: "x86" }) });
    const arm = await cli.run("checkpoint", "fork", "x86", "--arch", "arm64", "--class", "small");
    assert.equal(arm.code, 2);
    assert.match(arm.stderr, /--arch arm64: checkpoint chk_bbbbbbbbbbbb is an amd64 snapshot/);
    assert.equal(cli.hetzner.calls.includes("createServer"), false);
    assert.equal(cli.hetzner.calls.includes("createSshKey"), false);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("sweep deletes expired checkpoints (by their own expires_at) and says so", async () => {
  const cli = await fakeCli();
  try {
    cli.hetzner.addImage({
      id: 51,
      labels: checkpointLabels("chk_aaaaaaaaaaaa", { expires_at: String(NOW_SECS - 60) }),
    });
    cli.hetzner.addImage({ id: 52, labels: checkpointLabels("chk_bbbbbbbbbbbb") });
    cli.hetzner.addImage({ id: 53, labels: { crabbox: "true", expires_at: "1" } });
    const dry = await cli.run("sweep", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^would delete checkpoint chk_aaaaaaaaaaaa image=51 expires=2026-05-01T11:59:00Z reason=expired$/m,
    );
    assert.match(dry.stdout, /^sweep: checkpoints deleted=1 kept=1$/m);
    assert.equal(cli.hetzner.images.size, 3);
    const sweep = await cli.run("sweep", "--json");
    assert.equal(sweep.code, 0, sweep.stderr);
    const report = JSON.parse(sweep.stdout);
    assert.deepEqual(report.checkpoints.map((c: { id: string; result: string }) => [c.id, c.result]), [
      ["chk_aaaaaaaaaaaa", "deleted"],
      ["chk_bbbbbbbbbbbb", "skipped"],
    ]);
    assert.deepEqual([...cli.hetzner.images.keys()].sort(), [52, 53]);
  } finally {
    await cli.cleanup();
  }
});
