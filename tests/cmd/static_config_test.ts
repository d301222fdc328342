/** provider ssh's config mistakes: one line naming the key or flag and the fix, exit 2, nothing contacted. */
import assert from "node:assert/strict";
import type { ProcessRunner } from "../../core/deps.ts";
import { fakeCli } from "./_fakes.ts";

/** Records every program crabbox would run and runs none. */
function recordingProc(calls: string[]): ProcessRunner {
  return {
    run: (cmd, args) => {
      // git finds the repo (none here); anything else would reach the host.
      if (cmd !== "git") calls.push([cmd, ...args].join(" "));
      return Promise.resolve({ code: 1, signal: null, stdout: new Uint8Array(), stderr: new Uint8Array() });
    },
    spawn: () => {
      throw new Error("spawn");
    },
    interactive: () => Promise.resolve(1),
    which: (cmd) => Promise.resolve(`/usr/bin/${cmd}`),
  };
}

Deno.test("provider ssh config errors: missing static.host, a bad port, a missing ssh.key, an unknown host key", async () => {
  const calls: string[] = [];
  const cli = await fakeCli({ proc: recordingProc(calls), env: { HCLOUD_TOKEN: "" } });
  try {
    const key = `${cli.home}/id_test`;
    await Deno.writeTextFile(key, "PRIVATE\n");
    const rows: [string[], string][] = [
      [
        ["--provider", "ssh", "list"],
        "crabbox: error: provider ssh needs a host: static.host is not set\n" +
        "crabbox: hint: set static.host (or static.hosts) in the config, or pass --static-host <host>\n",
      ],
      [
        ["--provider", "ssh", "--static-host", "box.example", "--static-port", "70000", "warmup"],
        "crabbox: error: --static-port must be at most 65535\n" +
        "crabbox: hint: pass a valid --static-port\n",
      ],
      [
        ["--provider", "ssh", "--static-host", "box.example", "--static-port", "ssh", "list"],
        'crabbox: error: --static-port must be a whole number, got "ssh"\ncrabbox: hint: pass a valid --static-port\n',
      ],
      [
        ["--provider", "ssh", "--static-host", "box.example", "status", "cbx_000000000001"],
        `crabbox: error: ssh.key: ${cli.home}/.ssh/id_ed25519 does not exist (default)\n` +
        "crabbox: hint: set ssh.key (or pass --ssh-key) to the private key the static host trusts\n",
      ],
    ];
    for (const [argv, stderr] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, argv.join(" "));
      assert.equal(result.stderr, stderr, argv.join(" "));
      assert.equal(result.stdout, "");
    }
    assert.deepEqual(calls, [], "no ssh, no keyscan: nothing contacted");
    const offline = await cli.run("--provider", "ssh", "config", "show");
    assert.equal(offline.code, 0, "offline commands never need the host or the key");

    const unknown = await cli.run(
      "--provider",
      "ssh",
      "--static-host",
      "box.example",
      "--ssh-key",
      key,
      "list",
    );
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      `crabbox: error: the host key of crabbox@box.example:22 is unknown: no ed25519 key for box.example in ${cli.home}/.ssh/known_hosts\n` +
        "crabbox: hint: check the host's key, then pass --accept-host-key to pin it from ssh-keyscan, or add it to your known_hosts\n",
    );
    assert.deepEqual(calls, [], "no known_hosts file to ask, and no keyscan without the flag");
    assert.deepEqual(cli.hetzner.calls, [], "the Hetzner API is never used");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("provider ssh from a file: static.* keys as the Go CLI writes them, a bad port names its line", async () => {
  const cli = await fakeCli({ proc: recordingProc([]), env: { HCLOUD_TOKEN: "" } });
  try {
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    const file = `${cli.home}/.config/crabbox/config.yaml`;
    await Deno.writeTextFile(file, 'provider: ssh\nstatic:\n  host: box.example\n  port: "0"\n');
    const result = await cli.run("list");
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(`^crabbox: error: ${file}:4:\\d+: static\\.port must be at least 1`, "m"),
    );
  } finally {
    await cli.cleanup();
  }
});
