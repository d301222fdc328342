/**
 * `crabbox completions bash|zsh|fish`: generated from the command tree (every command and flag is in
 * it), syntax-checked by each shell, and completing for real: `crabbox ru<TAB>` → run in bash
 * (compgen), classes, subcommands, aliases, job names and lease slugs (from lease records, no API).
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";
import { buildProgram } from "../../cli/program.ts";
import { CommandContext } from "../../cli/context.ts";
import { Redactor } from "../../core/redact.ts";
import type { Command } from "@commander-js/extra-typings";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A home with one lease record and a `crabbox` on PATH that answers `job list --json` (no Deno start). */
async function world(home: string): Promise<Record<string, string>> {
  const lease = `${home}/.config/crabbox/leases/cbx_0123456789ab`;
  await Deno.mkdir(lease, { recursive: true });
  await Deno.writeTextFile(
    `${lease}/lease.json`,
    JSON.stringify({ id: "cbx_0123456789ab", slug: "violet-prawn", serverId: 1 }, null, 2) + "\n",
  );
  await Deno.mkdir(`${home}/bin`);
  await Deno.writeTextFile(
    `${home}/bin/crabbox`,
    `#!/bin/sh\n[ "$*" = "job list --json" ] && echo '[{"name":"test","stop":"auto"},{"name":"lint","stop":"auto"}]'\n`,
  );
  await Deno.chmod(`${home}/bin/crabbox`, 0o755);
  return { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, PATH: `${home}/bin:/usr/local/bin:/usr/bin:/bin` };
}

async function script(
  shell: string,
): Promise<
  { text: string; file: string; home: string; env: Record<string, string>; cleanup: () => Promise<void> }
> {
  const cli = await fakeCli();
  const out = await cli.run("completions", shell);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(cli.hetzner.calls, [], "offline: no API call");
  const file = `${cli.home}/crabbox.${shell}`;
  await Deno.writeTextFile(file, out.stdout);
  return { text: out.stdout, file, home: cli.home, env: await world(cli.home), cleanup: cli.cleanup };
}

async function sh(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, clearEnv: true, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("completions: an unknown shell exits 2; the scripts carry every command and flag of the tree", async () => {
  const cli = await fakeCli();
  try {
    const bad = await cli.run("completions", "tcsh");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Allowed choices are bash, zsh, fish/);
    const scripts: Record<string, string> = {};
    for (const shell of ["bash", "zsh", "fish"]) {
      scripts[shell] = (await cli.run("completions", shell)).stdout;
    }
    // The drift check: walk the same tree the generator walks.
    const program = buildProgram(new CommandContext(cli.deps, new Redactor()));
    const walk = (c: Command): Command[] => [c, ...c.commands.flatMap((s) => walk(s as Command))];
    for (const command of walk(program).slice(1)) {
      for (const text of Object.values(scripts)) {
        assert.ok(text.includes(`'${command.name()}'`), `${command.name()} missing`);
        for (const alias of command.aliases()) assert.ok(text.includes(`'${alias}'`), alias);
      }
      for (const option of command.options.filter((o) => !o.hidden && o.long)) {
        assert.ok(scripts.bash.includes(`'${option.long}'`), `${command.name()} ${option.long} (bash)`);
        assert.ok(
          scripts.fish.includes(`-l ${option.long!.slice(2)}`),
          `${command.name()} ${option.long} (fish)`,
        );
      }
    }
    assert.doesNotMatch(scripts.bash, /--stop-after/, "hidden flags stay hidden");
    assert.match(scripts.bash, /--provider/, "--provider is shown in help, so it completes");
  } finally {
    await cli.cleanup();
  }
});

Deno.test("bash: syntax-checked, and compgen completes ru → run, classes, drain, aliases, jobs, slugs", async () => {
  const s = await script("bash");
  try {
    assert.equal((await sh("bash", ["-n", s.file], s.env)).code, 0);
    const driver = `
source ${JSON.stringify(s.file)}
t() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _crabbox; echo "\${COMPREPLY[*]}"; }
t crabbox ru
t crabbox run --cl
t crabbox run --class ""
t crabbox pool dr
t crabbox cleanup --dr
t crabbox release --f
t crabbox status ""
t crabbox job run ""
t crabbox completions ""
t crabbox --profile ci sw
t crabbox run -- ls
complete -p crabbox
`;
    const out = await sh("bash", ["-c", driver], s.env);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trimEnd().split("\n"), [
      "run",
      "--class",
      "tiny small standard fast large beast",
      "drain",
      "--dry-run",
      "--force",
      "violet-prawn",
      "test lint",
      "bash zsh fish",
      "sweep",
      "",
      "complete -o default -F _crabbox crabbox",
    ]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("zsh: syntax-checked, registers with compdef, and its helpers complete the same words", async () => {
  const s = await script("zsh");
  try {
    assert.equal((await sh("zsh", ["-n", s.file], s.env)).code, 0);
    const driver = `
autoload -U compinit && compinit -u -d ${JSON.stringify(`${s.home}/.zcompdump`)}
source ${JSON.stringify(s.file)}
t() {
  local -a w; w=(crabbox "$@"); local cur=\${w[-1]} prev=\${w[-2]} p
  p=$(_crabbox_path "\${(@)w[2,-2]}")
  _crabbox_candidates "$p" "$prev" "$cur" | grep -- "^$cur" | tr '\\n' ' '; echo
}
t ru
t run --class ""
t pool dr
t status ""
t job run ""
print -r -- \${_comps[crabbox]}
`;
    const out = await sh("zsh", ["-c", driver], s.env);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trimEnd().split("\n").map((l) => l.trim()), [
      "run",
      "tiny small standard fast large beast",
      "drain",
      "violet-prawn",
      "test lint",
      "_crabbox",
    ]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("fish: syntax-checked, and complete -C completes commands, classes, subcommands, jobs, slugs", async () => {
  const s = await script("fish");
  try {
    assert.equal((await sh("fish", ["--no-execute", s.file], s.env)).code, 0);
    const words = async (line: string) => {
      const out = await sh("fish", [
        "-c",
        `source ${JSON.stringify(s.file)}; complete -C ${JSON.stringify(line)}`,
      ], s.env);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout.trimEnd().split("\n").map((l) => l.split("\t")[0]).filter(Boolean);
    };
    assert.deepEqual(await words("crabbox ru"), ["run"]);
    assert.deepEqual((await words("crabbox run --class ")).sort(), [
      "beast",
      "fast",
      "large",
      "small",
      "standard",
      "tiny",
    ]);
    assert.deepEqual(await words("crabbox pool dr"), ["drain"]);
    assert.deepEqual(await words("crabbox status "), ["violet-prawn"]);
    assert.deepEqual((await words("crabbox job run ")).sort(), ["lint", "test"]);
    assert.ok(
      (await words("crabbox cleanup --")).includes("--dry-run"),
      "an alias completes its command's flags",
    );
  } finally {
    await s.cleanup();
  }
});
