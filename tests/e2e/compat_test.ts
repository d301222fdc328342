/**
 * A Go crabbox user's repo, end to end on real boxes: their `provider: aws` file leased on Hetzner with
 * --provider hetzner, `--arch arm64` on the CAX types, run.preflightTools, and the Go job keys
 * (`shell: false`, `downloads`).
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

Deno.test("a Go crabbox config on real boxes: --provider hetzner, --arch arm64, preflightTools, Go job keys", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const state = () => ({ servers: harness.fake.servers.size, keys: harness.fake.keys.size });
  const writeConfig = (text: string) => Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, text);
  try {
    await t.step(
      "provider: aws is refused before any API call; --provider hetzner leases arm64 CAX",
      async () => {
        await writeConfig(
          'provider: aws\naws:\n  region: eu-west-1\nssh:\n  port: "2222"\n  fallbackPorts: ["22"]\n' +
            "sync:\n  gitSeed: true\n",
        );
        const before = harness.fake.log.length;
        const refused = await box.crabbox(["run", "--", "true"]);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(
          refused.stderr,
          /provider "aws" is not supported: this crabbox leases Hetzner Cloud directly/,
        );
        assert.equal(harness.fake.log.length, before, "no API call");

        const result = await box.crabbox([
          "run",
          "--provider",
          "hetzner",
          "--arch",
          "arm64",
          "--class",
          "small",
          "--",
          "sh",
          "-c",
          "echo on-box",
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, "on-box\n");
        assert.match(result.stderr, /^crabbox: created server \d+ \S+ type=cax21 location=fsn1;/m);
        assert.match(result.stderr, /aws is not applicable here/);
        assert.match(result.stderr, /provider "aws" is overridden by --provider hetzner/);
        assert.deepEqual(state(), { servers: 0, keys: 0 });
      },
    );

    await t.step("--arch arm64 with an x86 type is refused before anything is leased", async () => {
      await writeConfig("class: small\n");
      const before = harness.fake.log.length;
      const result = await box.crabbox(["warmup", "--arch", "arm64", "--type", "cpx32"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /server type cpx32 is x86, but the architecture is arm64/);
      assert.equal(harness.fake.log.length, before);
    });

    await t.step(
      "run.preflightTools: missing tools exit 7 by name before the command; the box is released",
      async () => {
        await writeConfig("run:\n  preflightTools: [sh, crabbox-missing-tool, git, crabbox-other-missing]\n");
        const result = await box.crabbox(["run", "--class", "tiny", "--", "sh", "-c", "echo must-not-run"]);
        assert.equal(result.code, 7, result.stderr);
        assert.equal(result.stdout, "");
        assert.match(
          result.stderr,
          /^crabbox: error: preflight: missing on the box: crabbox-missing-tool, crabbox-other-missing$/m,
        );
        assert.match(result.stderr, /^crabbox: released cbx_/m);
        assert.deepEqual(state(), { servers: 0, keys: 0 });
      },
    );

    await t.step(
      "--no-hydrate is the Go CLI's Actions flag: git hydration stays; --no-git-hydrate turns it off",
      async () => {
        await writeConfig("class: tiny\n");
        const kept = await box.crabbox([
          "run",
          "--no-hydrate",
          "--workdir",
          "src",
          "--",
          "sh",
          "-c",
          "pwd; git rev-parse --is-inside-work-tree",
        ]);
        assert.equal(kept.code, 0, kept.stderr);
        assert.match(kept.stdout, /^\/work\/crabbox\/cbx_[0-9a-f]{12}\/webapp\/src\ntrue\n$/);
        assert.match(
          kept.stderr,
          /^crabbox: sync complete in \S+ \(pruned 0, hydrated (?!off)\S+( via bundle)?\)$/m,
        );
        const off = await box.crabbox(["run", "--no-git-hydrate", "--", "true"]);
        assert.equal(off.code, 0, off.stderr);
        assert.match(off.stderr, /^crabbox: sync complete in \S+ \(pruned 0, hydrated off\)$/m);
        assert.deepEqual(state(), { servers: 0, keys: 0 });
      },
    );

    await t.step(
      "Go job keys: shell: false splits into argv; downloads land at their local path",
      async () => {
        await writeConfig(
          [
            "jobs:",
            "  split:",
            "    shell: false",
            '    command: printf %s| "a b"',
            "  fetch:",
            "    shell: true",
            "    command: mkdir -p out && echo 42 > out/r.json",
            "    downloads: [out/r.json=artifacts/report.json]",
            "",
          ].join("\n"),
        );
        const split = await box.crabbox(["job", "run", "split"]);
        // As in Go: quotes are not parsed and the words are argv, so printf gets `%s|`, `"a` and `b"`.
        assert.equal(split.code, 0, split.stderr);
        assert.equal(split.stdout, '"a|b"|');
        const fetch = await box.crabbox(["job", "run", "fetch"]);
        assert.equal(fetch.code, 0, fetch.stderr);
        assert.match(
          fetch.stderr,
          /^crabbox: downloaded out\/r\.json -> artifacts\/report\.json \(3 bytes\)$/m,
        );
        assert.equal(await Deno.readTextFile(`${box.repo}/artifacts/report.json`), "42\n");
        assert.deepEqual(state(), { servers: 0, keys: 0 });
      },
    );
    await t.step(
      "servers the Go CLI created (its labels, no owner) are listed, resolved by slug, swept",
      async () => {
        const now = Math.floor(harness.fake.now() / 1000);
        // The Go CLI's direct-Hetzner label set: no owner, repo, pool or run; a Go duration for idle_timeout.
        const goLabels = (lease: string, slug: string, expiresAt: number) => ({
          crabbox: "true",
          created_by: "crabbox",
          provider: "hetzner",
          lease,
          slug,
          keep: "false",
          class: "beast",
          server_type: "ccx13",
          profile: "webapp-check",
          provider_key: `crabbox-${lease.replace("_", "-")}`,
          target: "linux",
          state: "ready",
          created_at: String(now - 3600),
          last_touched_at: String(now - 3600),
          idle_timeout: "30m0s",
          ttl_secs: "5400",
          expires_at: String(expiresAt),
        });
        const plant = async (name: string, labels: Record<string, string>) => {
          const response = await fetch(`${harness.endpoint}/servers`, {
            method: "POST",
            headers: { Authorization: `Bearer ${harness.token}`, "Content-Type": "application/json" },
            body: JSON.stringify({
              name,
              server_type: "ccx13",
              image: "ubuntu-24.04",
              location: "fsn1",
              labels,
            }),
          });
          const text = await response.text();
          assert.equal(response.status, 201, text);
          return JSON.parse(text).server.id as number;
        };
        const expired = await plant(
          "crabbox-amber-crab-0a0a0a0a",
          goLabels("cbx_a0a0a0a0a0a0", "amber-crab", now - 60),
        );
        const live = await plant(
          "crabbox-jade-krill-0b0b0b0b",
          goLabels("cbx_b0b0b0b0b0b0", "jade-krill", now + 1200),
        );
        const listed = await box.crabbox(["list", "--json"]);
        assert.equal(listed.code, 0, listed.stderr);
        const leases = JSON.parse(listed.stdout) as { id: string; slug: string; owner: string | null }[];
        assert.deepEqual(leases.map((l) => [l.id, l.slug, l.owner]).sort(), [
          ["cbx_a0a0a0a0a0a0", "amber-crab", null],
          ["cbx_b0b0b0b0b0b0", "jade-krill", null],
        ]);
        const status = await box.crabbox(["status", "jade-krill", "--json"]);
        assert.equal(status.code, 0, status.stderr);
        const shown = JSON.parse(status.stdout);
        assert.deepEqual([shown.id, shown.serverId, shown.idleTimeoutSecs, shown.ttlSecs], [
          "cbx_b0b0b0b0b0b0",
          live,
          1800,
          5400,
        ]);
        const dry = await box.crabbox(["sweep", "--dry-run", "--json"]);
        assert.equal(dry.code, 0, dry.stderr);
        const decisions = Object.fromEntries(
          (JSON.parse(dry.stdout).servers as { lease: string; reason: string }[]).map((
            s,
          ) => [s.lease, s.reason]),
        );
        assert.deepEqual(decisions, { cbx_a0a0a0a0a0a0: "expired", cbx_b0b0b0b0b0b0: "not_expired" });
        const swept = await box.crabbox(["sweep"]);
        assert.equal(swept.code, 0, swept.stderr);
        assert.ok(!harness.fake.servers.has(expired), "the expired Go box is swept");
        assert.ok(harness.fake.servers.has(live), "the live one is kept");
        // No owner label (the Go CLI writes none): nobody else to protect, so stop needs no --force.
        const stopped = await box.crabbox(["stop", "jade-krill"]);
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.match(
          stopped.stdout,
          /^released cbx_b0b0b0b0b0b0 server=\d+ name=crabbox-jade-krill-0b0b0b0b$/m,
        );
        assert.deepEqual(state(), { servers: 0, keys: 0 });
      },
    );
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
