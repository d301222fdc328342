/** provider ssh wiring: ssh.configFile reaches every ssh to a static host; its flags warn under hetzner. */
import assert from "node:assert/strict";
import type { ProcessRunner } from "../../core/deps.ts";
import { fakeCli } from "./_fakes.ts";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const encoder = new TextEncoder();

/** ssh-keygen -F knows the host; ssh answers an empty lease record; every argv is recorded. */
function hostProc(calls: string[][]): ProcessRunner {
  return {
    run: (cmd, args) => {
      if (cmd !== "git") calls.push([cmd, ...args]);
      const stdout = cmd === "ssh-keygen" ? encoder.encode(`desk ${HOST_KEY}\n`) : new Uint8Array();
      return Promise.resolve({ code: cmd === "git" ? 1 : 0, signal: null, stdout, stderr: new Uint8Array() });
    },
    spawn: () => {
      throw new Error("spawn");
    },
    interactive: () => Promise.resolve(1),
    which: (cmd) => Promise.resolve(`/usr/bin/${cmd}`),
  };
}

Deno.test("provider ssh: ssh.configFile is passed as -F (Host aliases, ProxyJump), not -F none", async () => {
  const calls: string[][] = [];
  const cli = await fakeCli({ proc: hostProc(calls), env: { HCLOUD_TOKEN: "" } });
  try {
    await Deno.mkdir(`${cli.home}/.ssh`, { recursive: true });
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(`${cli.home}/.ssh/config`, "Host desk\n  HostName 10.0.0.7\n  ProxyJump gw\n");
    await Deno.writeTextFile(`${cli.home}/.ssh/known_hosts`, `desk ${HOST_KEY}\n`);
    await Deno.writeTextFile(`${cli.home}/id_test`, "PRIVATE\n");
    await Deno.writeTextFile(
      `${cli.home}/.config/crabbox/config.yaml`,
      `provider: ssh\nstatic:\n  host: desk\nssh:\n  key: ${cli.home}/id_test\n  configFile: ~/.ssh/config\n`,
    );
    const result = await cli.run("--json", "list");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), []);
    const ssh = calls.filter(([cmd]) => cmd === "ssh");
    assert.ok(ssh.length > 0, "the host's lease record was read over ssh");
    for (const argv of ssh) {
      assert.equal(argv[argv.indexOf("-F") + 1], `${cli.home}/.ssh/config`, argv.join(" "));
      assert.ok(argv.includes("crabbox@desk"), "the alias is left to the user's config to resolve");
    }
  } finally {
    await cli.cleanup();
  }
});

Deno.test("provider ssh: a missing ssh.configFile is exit 2 before any connection", async () => {
  const calls: string[][] = [];
  const cli = await fakeCli({ proc: hostProc(calls), env: { HCLOUD_TOKEN: "" } });
  try {
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(
      `${cli.home}/.config/crabbox/config.yaml`,
      "provider: ssh\nstatic:\n  host: desk\nssh:\n  configFile: ~/.ssh/nope\n",
    );
    const result = await cli.run("list");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^crabbox: error: ssh\.configFile ~\/\.ssh\/nope: no such file$/m);
    assert.deepEqual(calls, []);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("provider hetzner: --static-* and --ssh-key flags warn once, naming them and the fix", async () => {
  const cli = await fakeCli();
  try {
    const rows: [string[], string | null][] = [
      [["list"], null],
      [
        ["--static-host", "box.example", "list"],
        "crabbox: warning: --static-host is ignored under provider hetzner: set provider: ssh in the config or pass --provider ssh\n",
      ],
      [
        ["--static-user", "me", "--ssh-key", "/k", "--provider", "hetzner", "list"],
        "crabbox: warning: --static-user, --ssh-key are ignored under provider hetzner: set provider: ssh in the config or pass --provider ssh\n",
      ],
    ];
    for (const [argv, warning] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, `${warning ?? ""}crabbox: no crabbox servers\n`, argv.join(" "));
    }
  } finally {
    await cli.cleanup();
  }
});

Deno.test("--static-* flags warn once in every command: doctor, config show, and those that read no config", async () => {
  const cli = await fakeCli();
  const hetzner =
    "crabbox: warning: --static-host is ignored under provider hetzner: set provider: ssh in the config or pass --provider ssh";
  try {
    const rows: [string[], string | null][] = [
      [["--static-host", "box.example", "doctor", "--offline"], hetzner],
      [["--static-host", "box.example", "config", "show"], hetzner],
      [["--static-host", "box.example", "--provider", "ssh", "doctor", "--offline"], null],
      [
        ["--static-host", "box.example", "version"],
        "crabbox: warning: --static-host is ignored: crabbox version reads no provider settings",
      ],
      [
        ["--static-port", "22", "--ssh-key", "/k", "--provider", "ssh", "config", "path"],
        "crabbox: warning: --static-port, --ssh-key are ignored: crabbox config path reads no provider settings",
      ],
      [["version"], null],
    ];
    for (const [argv, warning] of rows) {
      const result = await cli.run(...argv);
      const warnings = result.stderr.split("\n").filter((line) => line.startsWith("crabbox: warning:"));
      assert.deepEqual(warnings, warning ? [warning] : [], argv.join(" "));
    }
  } finally {
    await cli.cleanup();
  }
});
