/**
 * Output conventions: usage errors are the --json document too, every command's help lists the global
 * flags, `help` reaches nested commands, and the `running …` line can be pasted into a shell.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ProcessRunner } from "../../core/deps.ts";
import { realClock, realProcess } from "../../core/runtime.ts";
import { fakeCli } from "./_fakes.ts";
import { leaseLabels, quietCli } from "./_setup.ts";

const usage = (message: string, hint: string) => ({
  stderr: `crabbox: error: ${message}\ncrabbox: hint: ${hint}\n`,
  json: JSON.stringify({ error: { kind: "usage", message, hint, exitCode: 2 } }) + "\n",
});

Deno.test("--json: usage errors print the error document on stdout too, wherever --json stands", async () => {
  const cli = await fakeCli();
  try {
    const unknownRunFlag = usage("unknown option '--bogus'", "run 'crabbox run --help' for usage");
    const rows: [string[], { stderr: string; json: string }][] = [
      [["--json", "run", "--bogus"], unknownRunFlag],
      [["run", "--bogus", "--json"], unknownRunFlag],
      [["run", "--json", "--bogus", "--", "ls"], unknownRunFlag],
      [["--json", "lsit"], usage("unknown command 'lsit'", "(Did you mean list?)")],
      [
        ["--json", "checkpoint", "create"],
        usage("missing required argument 'lease'", "run 'crabbox checkpoint create --help' for usage"),
      ],
      [
        ["--json", "job", "run"],
        usage(
          "missing required argument 'name'",
          "no jobs configured: add jobs: to .crabbox.yaml (see crabbox job list)",
        ),
      ],
      [
        ["--json", "--profile"],
        usage("option '--profile <name>' argument missing", "run 'crabbox --help' for usage"),
      ],
      [
        ["--json", "run", "--stop", "sometimes", "--", "ls"],
        usage(
          "option '--stop <policy>' argument 'sometimes' is invalid. Allowed choices are auto, always, success, failure, never.",
          "run 'crabbox run --help' for usage",
        ),
      ],
      [
        ["--json", "run"],
        usage("no command given", "put the command after --, e.g. crabbox run -- pnpm test"),
      ],
      [
        ["help", "frob", "--json"],
        usage('no help topic "frob"', "run 'crabbox help' for the list of commands"),
      ],
      [
        ["--json", "list", "--provider", "aws"],
        usage(
          'unknown provider "aws"',
          "use hetzner (Hetzner Cloud) or ssh (your own hosts), or drop --provider",
        ),
      ],
    ];
    for (const [argv, expected] of rows) {
      const result = await cli.run(...argv);
      const label = argv.join(" ");
      assert.equal(result.code, 2, label);
      assert.equal(result.stderr, expected.stderr, label);
      assert.equal(result.stdout, expected.json, label);
    }
    // Not a --json of ours: after `--` it is the remote command's, and `--profile --json` names a profile.
    for (const argv of [["--bogus", "--", "--json"], ["--profile", "--json", "--bogus"]]) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, argv.join(" "));
      assert.equal(result.stdout, "", argv.join(" "));
      assert.equal(result.stderr, usage("unknown option '--bogus'", "run 'crabbox --help' for usage").stderr);
    }
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
  }
});

const GLOBAL_FLAGS = [
  "--json",
  "--quiet",
  "--debug",
  "--no-color",
  "--no-sweep",
  "--profile <name>",
  "--provider <name>",
  "--static-host <host>",
  "--static-user <user>",
  "--static-port <port>",
  "--static-work-root <path>",
  "--ssh-key <path>",
  "--accept-host-key",
];

/** The flags listed under "Global Options:" (commander wraps long descriptions onto indented lines). */
function globalOptionsOf(help: string): string[] {
  const section = help.split("\nGlobal Options:\n")[1]?.split("\n\n")[0] ?? "";
  return section.split("\n").map((line) => line.match(/^ {2}(-[^ ]+(?: <[^>]+>)?)/)?.[1]).filter((f) =>
    f !== undefined
  );
}

Deno.test("every command's help lists the global flags, nested ones included", async () => {
  const cli = await fakeCli();
  try {
    const usages: [string[], string][] = [
      [["run"], "Usage: crabbox run [options] [command...]\n"],
      [["pool", "drain"], "Usage: crabbox pool drain [options]\n"],
      [["job", "run"], "Usage: crabbox job run [options] <name>\n"],
      [["config", "show"], "Usage: crabbox config show [options]\n"],
      [["sweep"], "Usage: crabbox sweep|cleanup [options]\n"],
    ];
    for (const [path, usageLine] of usages) {
      const result = await cli.run(...path, "--help");
      assert.equal(result.code, 0, path.join(" "));
      assert.ok(result.stdout.startsWith(usageLine), result.stdout);
      assert.deepEqual(globalOptionsOf(result.stdout), ["--version", ...GLOBAL_FLAGS], path.join(" "));
      assert.equal(result.stderr, "");
    }
    const root = await cli.run("--help");
    assert.ok(!root.stdout.includes("Global Options:"), "the root's own options are its Options");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("help reaches nested commands; an unknown nested topic exits 2 naming it", async () => {
  const cli = await fakeCli();
  try {
    for (const path of [["pool", "drain"], ["job", "run"], ["config", "show"], ["pool"]]) {
      const viaHelp = await cli.run("help", ...path);
      const viaFlag = await cli.run(...path, "--help");
      assert.equal(viaHelp.code, 0, path.join(" "));
      assert.equal(viaHelp.stdout, viaFlag.stdout, path.join(" "));
      assert.match(viaHelp.stdout, new RegExp(`^Usage: crabbox ${path.join(" ")} \\[options\\]`));
      assert.equal(viaHelp.stderr, "");
    }
    const unknown: [string[], string][] = [
      [
        ["pool", "frob"],
        "crabbox: error: no help topic \"pool frob\"\ncrabbox: hint: run 'crabbox help pool' for its subcommands\n",
      ],
      [
        ["config", "show", "x"],
        "crabbox: error: no help topic \"config show x\"\ncrabbox: hint: run 'crabbox help config show' for its subcommands\n",
      ],
      [
        ["frob", "x"],
        "crabbox: error: no help topic \"frob x\"\ncrabbox: hint: run 'crabbox help' for the list of commands\n",
      ],
    ];
    for (const [topic, stderr] of unknown) {
      const result = await cli.run("help", ...topic);
      assert.equal(result.code, 2, topic.join(" "));
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, stderr);
    }
  } finally {
    await cli.cleanup();
  }
});

/** ssh stand-in for an in-process run: the remote command text (the last argument) runs in the local bash. */
function remoteText(args: string[]): string {
  return args.at(-1) === "crabbox-ready" ? "echo ready" : args.at(-1)!;
}
const localSsh: ProcessRunner = {
  ...realProcess,
  run: (cmd, args, options) =>
    cmd === "ssh"
      ? realProcess.run("bash", ["-c", remoteText(args)], options)
      : realProcess.run(cmd, args, options),
  spawn: (cmd, args, options) =>
    cmd === "ssh"
      ? realProcess.spawn("bash", ["-c", remoteText(args)], options)
      : realProcess.spawn(cmd, args, options),
};

Deno.test("the running line is shell-quoted: pasted into a shell it is the same argv", async () => {
  const work = await Deno.makeTempDir({ prefix: "crabbox-work-" });
  const canary = "canary-forwarded-value-3b9d";
  const cli = await quietCli({ proc: localSsh, env: { CRABBOX_WORK_ROOT: work, CI: canary } });
  try {
    const lease = "cbx_0123456789ab";
    const dir = join(cli.home, ".config/crabbox/leases", lease);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(join(dir, "id_ed25519"), "not a key: ssh is a stand-in\n", { mode: 0o600 });
    const server = cli.hetzner.addServer({
      id: 7,
      labels: leaseLabels(lease, "blue-crab"),
    });
    const record = {
      id: lease,
      slug: "blue-crab",
      serverId: server.id,
      serverName: server.name,
      ipv4: server.ipv4,
      sshPort: 22,
      createdAt: "2026-05-01T12:00:00Z",
      repoRoot: null,
    };
    await Deno.writeTextFile(join(dir, "lease.json"), JSON.stringify(record));
    // The box is up (TCP and crabbox-ready answer) and the heartbeat sleeps on a real clock, stopped at the end.
    cli.deps.net = { tcpProbe: () => Promise.resolve(true) };
    cli.deps.clock = realClock;

    const argv = ["printf", "%s|", "two words", "it's", "$HOME"];
    const result = await cli.run("run", "--id", lease, "--no-sync", "--", ...argv);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "two words|it's|$HOME|");
    const lines = result.stderr.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 3), [
      "crabbox: lease cbx_0123456789ab slug=blue-crab (existing, state=ready)",
      "crabbox: env forwarded CI=set",
      "crabbox: running printf '%s|' 'two words' 'it'\\''s' '$HOME'",
    ]);
    assert.match(lines[3], /^crabbox: command exited 0 after \d+\.\ds$/);
    assert.equal(lines[4], "crabbox: kept cbx_0123456789ab (idle expiry 12:30:00Z, ttl cap 13:30:00Z)");
    assert.match(lines[5], /^crabbox: summary lease=cbx_0123456789ab .* exit=0$/);
    assert.equal(lines.length, 6, result.stderr);
    const pasted = await realProcess.run("bash", ["-c", lines[2].replace("crabbox: running ", "")]);
    assert.equal(
      new TextDecoder().decode(pasted.stdout),
      result.stdout,
      "the line pastes back to the same argv",
    );

    // --debug shows each ssh argv; no forwarded value is on any of them (values travel over stdin).
    const debug = await cli.run("--debug", "run", "--id", lease, "--no-sync", "--", "true");
    assert.equal(debug.code, 0, debug.stderr);
    assert.match(debug.stderr, /^crabbox: debug: ssh -F none .* crabbox@203\.0\.113\.7 <script>$/m);
    assert.ok(!debug.stderr.includes(canary) && !result.stderr.includes(canary), debug.stderr);
  } finally {
    await cli.cleanup();
    await Deno.remove(work, { recursive: true });
  }
});
