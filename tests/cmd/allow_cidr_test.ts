/**
 * --allow-cidr and ssh.allowCidrs in process: the help names the flag on every command that creates a
 * box, a bad range exits 2 naming the flag or file:line before any API call, and doctor warns without one.
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

Deno.test("--allow-cidr is in the help of run, warmup and job run", async () => {
  const cli = await fakeCli();
  try {
    for (const argv of [["run", "--help"], ["warmup", "--help"], ["job", "run", "--help"]]) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /--allow-cidr <cidr>\s+admit ssh only from this IPv4 range/,
        argv.join(" "),
      );
    }
  } finally {
    await cli.cleanup();
  }
});

Deno.test("a bad --allow-cidr exits 2 naming the flag and the fix, and nothing is created", async () => {
  const cli = await fakeCli();
  try {
    const rows: [string[], RegExp][] = [
      [
        ["warmup", "--allow-cidr", "203.0.113.5/24"],
        /^crabbox: error: --allow-cidr entry 203\.0\.113\.5\/24 has host bits set \(did you mean 203\.0\.113\.0\/24 or 203\.0\.113\.5\/32\?\)\ncrabbox: hint: pass an IPv4 range such as 203\.0\.113\.0\/24/,
      ],
      [
        ["run", "--allow-cidr", "203.0.113.0/24", "--allow-cidr", "office", "--", "true"],
        /^crabbox: error: --allow-cidr entry "office" is not an IPv4 CIDR such as 203\.0\.113\.0\/24\n/,
      ],
      [
        ["warmup", "--allow-cidr", "198.51.100.7"],
        /^crabbox: error: --allow-cidr entry "198\.51\.100\.7" has no prefix length \(a single address is 198\.51\.100\.7\/32\)/,
      ],
      [
        ["run", "--id", "cbx_0123456789ab", "--allow-cidr", "203.0.113.0/24", "--", "true"],
        /--allow-cidr/,
      ],
    ];
    for (const [argv, stderr] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, stderr, argv.join(" "));
      assert.equal(result.stdout, "");
    }
    assert.deepEqual(cli.hetzner.calls.filter((c) => c.startsWith("create")), []);
    assert.equal(cli.hetzner.firewalls.size, 0);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("a bad range in the config names the file and line", async () => {
  const cli = await fakeCli();
  try {
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(
      `${cli.home}/.config/crabbox/config.yaml`,
      "ssh:\n  allowCidrs:\n    - 203.0.113.0/24\n    - 2001:db8::/32\n",
    );
    const result = await cli.run("warmup");
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /config\.yaml:3:\d+: ssh\.allowCidrs entry "2001:db8::\/32" is IPv6; boxes have IPv4 only/,
    );
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("doctor warns when no allowlist is set and reports the one that is", async () => {
  const cli = await fakeCli();
  try {
    const open = await cli.run("doctor", "--offline");
    assert.match(
      open.stdout,
      /^warn\s+allowlist\s+no ssh\.allowCidrs: boxes accept ssh \(ports 2222,22\) from the whole internet \(key-only\); fix: set ssh\.allowCidrs/m,
    );
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(
      `${cli.home}/.config/crabbox/config.yaml`,
      "ssh:\n  allowCidrs: [203.0.113.0/24]\n",
    );
    const closed = await cli.run("doctor", "--offline", "--json");
    const check = JSON.parse(closed.stdout).checks.find((c: { check: string }) => c.check === "allowlist");
    assert.equal(check.status, "ok");
    assert.deepEqual(check.details, { cidrs: ["203.0.113.0/24"] });
  } finally {
    await cli.cleanup();
  }
});

/** A git repo whose .crabbox.yaml is `yaml`, and a CLI in it; both removed after `body`. */
async function inRepo(yaml: string, body: (cli: Awaited<ReturnType<typeof fakeCli>>) => Promise<void>) {
  const repo = await Deno.makeTempDir({ prefix: "cbx-allow-" });
  await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  await Deno.writeTextFile(`${repo}/.crabbox.yaml`, yaml);
  const cli = await fakeCli({ cwd: repo });
  try {
    await body(cli);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
}

Deno.test("a job's allowCidrs: key is checked like ssh.allowCidrs: file:line, exit 2, no API call", async () => {
  const rows: [string, RegExp][] = [
    [
      "jobs:\n  e2e:\n    command: make e2e\n    allowCidrs: [203.0.113.5/24]\n",
      /^crabbox: error: .*\.crabbox\.yaml:4:\d+: jobs\.e2e\.allowCidrs entry 203\.0\.113\.5\/24 has host bits set \(did you mean 203\.0\.113\.0\/24 or 203\.0\.113\.5\/32\?\)$/m,
    ],
    [
      "jobs:\n  e2e:\n    command: make e2e\n    allowCidrs:\n      - 10.0.0.0/8\n      - office\n",
      /^crabbox: error: .*\.crabbox\.yaml:\d+:\d+: jobs\.e2e\.allowCidrs entry "office" is not an IPv4 CIDR/m,
    ],
  ];
  for (const [yaml, message] of rows) {
    for (const extra of [[], ["--dry-run"]]) {
      await inRepo(yaml, async (cli) => {
        const result = await cli.run("job", "run", "e2e", ...extra);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, message);
        assert.equal(result.stdout, "");
        assert.deepEqual(cli.hetzner.calls, []);
      });
    }
  }
});

Deno.test("job run --dry-run shows the job's allowCidrs; --allow-cidr replaces them", async () => {
  const yaml = "ssh:\n  allowCidrs: [192.0.2.0/24]\n" +
    "jobs:\n  e2e:\n    command: make e2e\n    allowCidrs: [203.0.113.0/24, 198.51.100.7/32]\n" +
    "  open:\n    command: make e2e\n    allowCidrs: []\n  plain:\n    command: make e2e\n";
  await inRepo(yaml, async (cli) => {
    const text = await cli.run("job", "run", "e2e", "--dry-run");
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^crabbox warmup .* --allow-cidr 203\.0\.113\.0\/24 --allow-cidr 198\.51\.100\.7\/32$/m,
    );
    const plan = async (...argv: string[]) => {
      const r = await cli.run("job", "run", ...argv, "--dry-run", "--json");
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      const warmup = doc.steps.find((s: { name: string }) => s.name === "warmup");
      return { cidrs: doc.lease.allowCidrs, flagged: warmup.argv.includes("--allow-cidr") };
    };
    assert.deepEqual(await plan("e2e"), { cidrs: ["203.0.113.0/24", "198.51.100.7/32"], flagged: true });
    assert.deepEqual(await plan("open"), { cidrs: [], flagged: false }, "[]: open, whatever the config says");
    assert.deepEqual(
      await plan("plain"),
      { cidrs: ["192.0.2.0/24"], flagged: false },
      "no key: the config's",
    );
    assert.deepEqual(
      await plan("e2e", "--allow-cidr", "10.77.0.0/16"),
      { cidrs: ["10.77.0.0/16"], flagged: false },
      "the flag replaces the job's and the config's",
    );
    assert.deepEqual(cli.hetzner.calls, []);
  });
});
