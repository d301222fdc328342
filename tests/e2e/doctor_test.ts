/**
 * `crabbox doctor` against the harness (behind Prism): healthy → exit 0; a read-only token, a skewed
 * clock, a bad file mode and an orphan are each reported with their fix; --id probes a real box; and
 * doctor changes nothing (request log, fake state, local files).
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { isoTime } from "../harness/fake_json.ts";
import { type CliResult, ownedLabels as owned, sandbox } from "./_cli.ts";

/** "status check message" per line → { check: [status, message] }. */
function lines(out: CliResult): Record<string, [string, string]> {
  const rows: Record<string, [string, string]> = {};
  for (const line of out.stdout.trimEnd().split("\n")) {
    const m = line.match(/^(ok|warn|fail|skip) +(\S+) +(.*)$/);
    assert.ok(m, `not a doctor line: ${JSON.stringify(line)}`);
    rows[m[2]] = [m[1], m[3]];
  }
  return rows;
}

/** Every path under dir with its mode, to show doctor created or changed nothing. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const info = await Deno.lstat(path);
    out.push(`${path} ${((info.mode ?? 0) & 0o777).toString(8)}`);
    if (entry.isDirectory && entry.name !== ".git") out.push(...await tree(path));
  }
  return out.sort();
}

Deno.test("doctor: healthy harness, read-only token, skewed clock, bad file mode, orphans, --id", async (t) => {
  const harness = await startHarness();
  const fake = harness.fake;
  const box = await sandbox(harness);
  const token = harness.token;
  const noToken = (out: CliResult) => {
    assert.ok(!out.stdout.includes(token) && !out.stderr.includes(token), "the token never appears");
  };
  try {
    await t.step("a healthy setup: every check ok, exit 0, nothing changed", async () => {
      const before = await tree(box.home);
      const logBefore = fake.log.length;
      // Healthy includes an ssh allowlist (without one, the allowlist check warns).
      const out = await box.crabbox(["doctor"], { env: { CRABBOX_SSH_ALLOW_CIDRS: "10.77.0.0/16" } });
      assert.equal(out.code, 0, out.stdout + out.stderr);
      noToken(out);
      const rows = lines(out);
      assert.match(
        rows.allowlist[1],
        /^ssh \(ports 2222,22\) admitted only from 10\.77\.0\.0\/16 \(env CRABBOX_SSH_ALLOW_CIDRS\)/,
      );
      for (const check of ["ssh", "ssh-keygen", "git", "rsync", "config", "token", "endpoint", "api"]) {
        assert.equal(rows[check]?.[0], "ok", `${check}: ${rows[check]}`);
      }
      assert.equal(rows.token[1], `HCLOUD_TOKEN set (${token.length} chars)`);
      assert.equal(
        rows["token-access"][1],
        "read/write (an invalid create was refused with 422; nothing was created)",
      );
      // The Date header has whole seconds and the answer takes a while on a loaded machine: the figure varies.
      assert.match(rows.clock[1], /^local clock within \d+(\.\d)?s of Hetzner$/);
      assert.equal(rows.orphans[1], "nothing a sweep would delete");
      assert.match(rows["server-limit"][1], /^0 servers in the project \(0 by crabbox\)/);
      assert.match(rows["control-dir"][1], /\/run\/crabbox \(created mode 700 on first use\)$/);
      assert.deepEqual(Object.values(rows).filter(([status]) => status !== "ok"), []);
      // Never mutates: the only non-GET is the refused probe, and no file appeared.
      const requests = fake.log.slice(logBefore);
      assert.deepEqual(
        requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path} ${r.status}`),
        ["POST /servers 422"],
      );
      assert.equal(fake.servers.size, 0);
      assert.deepEqual(await tree(box.home), before, "doctor created or changed no file");
    });

    await t.step("--json: one document {ok, checks[{check,status,message,fix,details}]}", async () => {
      const out = await box.crabbox(["doctor", "--json", "--offline"]);
      assert.equal(out.code, 0, out.stderr);
      const doc = JSON.parse(out.stdout);
      assert.equal(doc.ok, true);
      assert.deepEqual(Object.keys(doc.checks[0]), ["check", "status", "message", "fix", "details"]);
      assert.equal(doc.checks.find((c: { check: string }) => c.check === "api").status, "skip");
      noToken(out);
    });

    await t.step("a read-only token: api ok (it may GET), token-access fails, exit 1", async () => {
      const readOnly = await harness.admin.readOnlyToken();
      const out = await box.crabbox(["doctor"], { env: { HCLOUD_TOKEN: readOnly } });
      assert.equal(out.code, 1, out.stdout + out.stderr);
      assert.ok(!out.stdout.includes(readOnly) && !out.stderr.includes(readOnly));
      const rows = lines(out);
      assert.equal(rows.api[0], "ok");
      assert.equal(rows["token-access"][0], "fail");
      assert.match(
        rows["token-access"][1],
        /^read-only token \(a create was refused with 401 token_readonly\).*; fix: create a Read & Write API token/,
      );
      assert.equal(fake.servers.size, 0);
    });

    await t.step("an unknown token: api fails with the fix, the rest is skipped", async () => {
      const out = await box.crabbox(["doctor"], { env: { HCLOUD_TOKEN: "x".repeat(64) } });
      assert.equal(out.code, 1);
      const rows = lines(out);
      assert.equal(rows.api[0], "fail");
      assert.match(
        rows.api[1],
        /^token not accepted: 401 unauthorized: unable to authenticate .*; fix: check HCLOUD_TOKEN/,
      );
      assert.deepEqual(rows.orphans, ["skip", "the api check failed"]);
    });

    await t.step("a skewed clock is a warning naming the skew (exit 0)", async () => {
      await harness.admin.clock({ skewMs: 10 * 60_000 });
      try {
        const out = await box.crabbox(["doctor"]);
        assert.equal(out.code, 0, out.stdout);
        assert.match(
          lines(out).clock.join(" "),
          /^warn local clock 9m5\ds|^warn local clock 10m behind Hetzner/,
        );
        assert.match(
          out.stdout,
          /^warn {3}clock {9}local clock .* behind Hetzner \(labels use Hetzner time\); fix: sync the local clock/m,
        );
      } finally {
        await harness.admin.clock({ skewMs: 0 });
      }
    });

    let slug = "";
    await t.step("--id probes the box: user, work root, disk, git", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny"]);
      assert.equal(warm.code, 0, warm.stderr);
      slug = warm.stdout.match(/slug=(\S+)/)![1];
      const out = await box.crabbox(["doctor", "--id", slug]);
      assert.equal(out.code, 0, out.stdout + out.stderr);
      const [status, message] = lines(out).remote;
      assert.equal(status, "ok", message);
      assert.match(
        message,
        /^crabbox@10\.77\.\d+\.2:2222: user crabbox, \/work\/crabbox writable, [\d.]+ [GMT]iB free of [\d.]+ [GMT]iB, git version \d/,
      );
      assert.match(lines(out)["lease-files"][1], /\(1 lease dir\); modes private, no symlinks$/);
    });

    await t.step("a bad file mode: a world-readable private key fails, with the chmod to run", async () => {
      const leaseId =
        (await box.crabbox(["status", slug, "--json"])).stdout.match(/"id":"(cbx_[0-9a-f]{12})"/)![1];
      const key = `${box.home}/.config/crabbox/leases/${leaseId}/id_ed25519`;
      await Deno.chmod(key, 0o644);
      await Deno.mkdir(`${box.home}/.config/crabbox`, { recursive: true });
      await Deno.writeTextFile(`${box.home}/.config/crabbox/config.yaml`, "ttl: 2h\n", { mode: 0o644 });
      await Deno.chmod(`${box.home}/.config/crabbox/config.yaml`, 0o644);
      try {
        const out = await box.crabbox(["doctor", "--offline"]);
        assert.equal(out.code, 1);
        const rows = lines(out);
        assert.equal(rows["lease-files"][0], "fail");
        assert.equal(rows["lease-files"][1], `${key} has mode 644; it must be 600; fix: chmod 600 ${key}`);
        assert.equal(rows.config[0], "warn");
        assert.match(rows.config[1], /config\.yaml has mode 644; it should be 600; fix: chmod 600 /);
        assert.equal(((await Deno.stat(key)).mode ?? 0) & 0o777, 0o644, "doctor never fixes anything itself");
      } finally {
        await Deno.chmod(key, 0o600);
        await Deno.remove(`${box.home}/.config/crabbox/config.yaml`);
      }
      // warmup made the control-socket dir 0700; a group-readable one makes run refuse to start.
      const controlDir = `${box.home}/run/crabbox`;
      await Deno.chmod(controlDir, 0o755);
      try {
        const out = await box.crabbox(["doctor", "--offline"]);
        assert.equal(out.code, 1);
        assert.match(
          out.stdout,
          /^fail {3}control-dir {3}ssh control-socket directory .*\/run\/crabbox has mode 755; it must be 700; fix: chmod 700 /m,
        );
      } finally {
        await Deno.chmod(controlDir, 0o700);
      }
    });

    await t.step(
      "orphans: expired servers and a key without a server are reported, not deleted",
      async () => {
        const nowSecs = Math.floor(fake.now() / 1000);
        fake.addPaperServers(1, () => owned("cbx_00000000d0c1", { expires_at: String(nowSecs - 600) }));
        fake.keys.set(999_001, {
          id: 999_001,
          name: "crabbox-cbx-00000000d0c2",
          public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOrphanOrphanOrphanOrphanOrphanOrphanOrph orphan",
          fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
          labels: { crabbox: "true", created_by: "crabbox", lease: "cbx_00000000d0c2" },
          created: isoTime(fake.now() - 2 * 3600_000),
        });
        const servers = fake.servers.size;
        const out = await box.crabbox(["doctor"]);
        assert.equal(out.code, 0, out.stdout + out.stderr);
        const [status, message] = lines(out).orphans;
        assert.equal(status, "warn");
        assert.match(
          message,
          /^1 server eligible for sweep \(paper-\d+: expired 10m\d*s? ago\) and 1 orphaned ssh key \(crabbox-cbx-00000000d0c2\); fix: run: crabbox sweep/,
        );
        assert.equal(fake.servers.size, servers, "doctor deletes nothing");
        assert.ok(fake.keys.has(999_001));
        const swept = await box.crabbox(["sweep"]);
        assert.equal(swept.code, 0, swept.stderr);
        assert.equal(lines(await box.crabbox(["doctor"])).orphans[0], "ok");
      },
    );

    await t.step("the box goes", async () => {
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
