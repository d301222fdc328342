/** doctor under provider ssh: no token, no API; the static checks' lines and doctor's exit codes. */
import assert from "node:assert/strict";
import type { ProcessRunner } from "../../core/deps.ts";
import { fakeCli } from "./_fakes.ts";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const encoder = new TextEncoder();
const PROBE =
  "user=ci\ntool_bash=yes\ntool_flock=no\ntool_rsync=yes\ntool_git=yes\nworkroot=writable\nrecord=\n";

/** known_hosts knows the host; ssh answers the doctor probe (or fails as told). */
function hostProc(calls: string[][], ssh: { code: number; stdout?: string; stderr?: string }): ProcessRunner {
  return {
    run: (cmd, args) => {
      calls.push([cmd, ...args]);
      const out = (code: number, stdout = "", stderr = "") =>
        Promise.resolve({
          code,
          signal: null,
          stdout: encoder.encode(stdout),
          stderr: encoder.encode(stderr),
        });
      if (cmd === "ssh-keygen" && args[0] === "-F") return out(0, `box.example ${HOST_KEY}\n`);
      if (cmd === "ssh" && args[0] !== "-V") return out(ssh.code, ssh.stdout, ssh.stderr);
      return out(0, cmd === "rsync" ? "rsync  version 3.2.7  protocol version 31\n" : "", "OpenSSH_9.6p1\n");
    },
    spawn: () => {
      throw new Error("spawn");
    },
    interactive: () => Promise.resolve(1),
    which: (cmd) => Promise.resolve(`/usr/bin/${cmd}`),
  };
}

async function run(ssh: { code: number; stdout?: string; stderr?: string }, keyMode = 0o600) {
  const calls: string[][] = [];
  const cli = await fakeCli({ proc: hostProc(calls, ssh), env: { HCLOUD_TOKEN: "" } });
  try {
    await Deno.mkdir(`${cli.home}/.ssh`, { recursive: true });
    await Deno.writeTextFile(`${cli.home}/.ssh/known_hosts`, `box.example ${HOST_KEY}\n`);
    await Deno.writeTextFile(`${cli.home}/id_test`, "PRIVATE\n", { mode: keyMode });
    await Deno.chmod(`${cli.home}/id_test`, keyMode);
    const argv = ["--provider", "ssh", "--static-host", "box.example", "--ssh-key", `${cli.home}/id_test`];
    const text = await cli.run(...argv, "doctor");
    const json = await cli.run(...argv, "--json", "doctor");
    return { text, json, calls, home: cli.home, hetznerCalls: cli.hetzner.calls };
  } finally {
    await cli.cleanup();
  }
}

Deno.test("doctor, provider ssh: no token needed; a missing tool on the host fails with the fix (exit 1)", async () => {
  const { text, json, calls, home, hetznerCalls } = await run({ code: 0, stdout: PROBE });
  assert.equal(text.code, 1, text.stderr);
  const lines = text.stdout.split("\n");
  const line = (check: string) => lines.find((l) => l.split(/\s+/)[1] === check) ?? "";
  assert.match(line("static-config"), /^ok\s+static-config provider ssh: 1 host \(crabbox@box\.example:22\)/);
  assert.match(
    line("static-host"),
    new RegExp(
      `^ok\\s+static-host\\s+crabbox@box\\.example:22: reachable over ssh, host key from ${home}/\\.ssh/known_hosts`,
    ),
  );
  assert.match(
    line("static-tools"),
    /^fail\s+static-tools\s+crabbox@box\.example:22 lacks flock; fix: install flock/,
  );
  assert.match(line("static-root"), /^ok\s+static-root/);
  assert.match(line("static-lease"), /^ok\s+static-lease\s+crabbox@box\.example:22: free$/);
  assert.doesNotMatch(text.stdout, /HCLOUD_TOKEN|\btoken\b|\bapi\b/, "no Hetzner checks under provider ssh");
  assert.deepEqual(hetznerCalls, []);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.checks.filter((c: { check: string }) => c.check.startsWith("static-")).map((
      c: { check: string },
    ) => c.check),
    ["static-config", "static-host", "static-tools", "static-root", "static-lease"],
  );
  const ssh = calls.find(([cmd, first]) => cmd === "ssh" && first !== "-V")!;
  assert.ok(ssh.includes(`UserKnownHostsFile=${home}/.ssh/known_hosts`), "checked against known_hosts");
  assert.ok(ssh.includes("HostKeyAlias=box.example"));
  assert.ok(!calls.some(([cmd]) => cmd === "ssh-keyscan"), "doctor never keyscans");
});

Deno.test("doctor, provider ssh: all well is exit 0; an unreachable host or an open key is exit 1", async () => {
  const good = await run({ code: 0, stdout: PROBE.replace("tool_flock=no", "tool_flock=yes") });
  assert.equal(good.text.code, 0, good.text.stdout);
  const down = await run({
    code: 255,
    stderr: "ssh: connect to host box.example port 22: Connection refused\n",
  });
  assert.equal(down.text.code, 1);
  assert.match(down.text.stdout, /^fail\s+static-host\s+.*Connection refused\)/m);
  assert.match(down.text.stdout, /^skip\s+static-tools\s+needs ssh to crabbox@box\.example:22$/m);
  const open = await run({ code: 0, stdout: PROBE }, 0o644);
  assert.equal(open.text.code, 1);
  assert.match(open.text.stdout, /^fail\s+static-config .*mode 0644.*; fix: chmod 600 /m);
  assert.ok(!open.calls.some(([cmd, first]) => cmd === "ssh" && first !== "-V"), "no ssh with a bad config");
});

Deno.test("doctor --offline, provider ssh: the config is checked, no host is contacted", async () => {
  const calls: string[][] = [];
  const cli = await fakeCli({ proc: hostProc(calls, { code: 0, stdout: PROBE }), env: { HCLOUD_TOKEN: "" } });
  try {
    await Deno.writeTextFile(`${cli.home}/id_test`, "PRIVATE\n", { mode: 0o600 });
    await Deno.chmod(`${cli.home}/id_test`, 0o600);
    const result = await cli.run(
      "--provider",
      "ssh",
      "--static-host",
      "box.example",
      "--ssh-key",
      `${cli.home}/id_test`,
      "doctor",
      "--offline",
    );
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^ok\s+static-config /m);
    for (const check of ["static-host", "static-tools", "static-root", "static-lease"]) {
      assert.match(result.stdout, new RegExp(`^skip\\s+${check}\\s+--offline$`, "m"));
    }
    assert.ok(!calls.some(([cmd, first]) => (cmd === "ssh" && first !== "-V") || cmd === "ssh-keyscan"));
  } finally {
    await cli.cleanup();
  }
});
