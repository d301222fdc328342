/**
 * Bad and hostile inputs: config files, environment, flags, ids, env names, job names, file names and
 * file types in the repo, pathological `.crabboxignore` patterns. An input error exits 2 (ids: 4) with
 * one `crabbox: error:` line, before any API request and with nothing created, in under 20 s. Hostile
 * but legal input (odd file names) runs normally and arrives intact; a non-regular file is skipped.
 */
import { checkOutput, type CodeExpectation, describeCode } from "./checks.ts";
import type { CliOutcome } from "./cli_proc.ts";
import type { Row } from "./row.ts";
import { CANARY_TOKEN, CANARY_VALUE, type RowRun } from "./world.ts";
import { git } from "../e2e/_cli.ts";

interface InputCase {
  id: string;
  expect?: string;
  /** Default 2. */
  code?: CodeExpectation;
  error?: RegExp;
  /** Default: `run --class tiny -- true`. */
  args?: string[];
  env?: Record<string, string>;
  setup?(row: RowRun): Promise<void> | void;
  /** Default: true for exit 2 (validation comes before any API call). */
  noApi?: boolean;
  /** Default 20 s; cases that lease a box get more. */
  deadlineMs?: number;
  skipPrefixCheck?: boolean;
  after?(row: RowRun, out: CliOutcome): Promise<void> | void;
}

const QUOTED_VALUE = "x'; echo INJECTED; '$(id)`id`\\'\"";
const RUN = ["run", "--class", "tiny", "--", "true"];
const LEASING_DEADLINE = 45_000;

const repoConfig = (text: string | Uint8Array) => async (row: RowRun) => {
  if (typeof text === "string") await Deno.writeTextFile(`${row.repo}/.crabbox.yaml`, text);
  else await Deno.writeFile(`${row.repo}/.crabbox.yaml`, text);
};

const userConfig = (text: string) => async (row: RowRun) => {
  await Deno.mkdir(`${row.home}/.config/crabbox`, { recursive: true });
  await Deno.writeTextFile(`${row.home}/.config/crabbox/config.yaml`, text, { mode: 0o600 });
};

const JOBS = `jobs:
  test:
    command: "true"
`;

/** Billion laughs: 9 levels of 10 aliases each. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
  return lines.join("\n") + "\n";
}

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!out.success) throw new Error(`mkfifo ${path} failed`);
}

async function mknodNull(path: string): Promise<void> {
  const out = await new Deno.Command("mknod", { args: [path, "c", "1", "3"] }).output();
  if (!out.success) throw new Error(`mknod ${path} failed`);
}

/** Every file under dir (relative), skipping the given top-level entries. */
async function listTree(dir: string, skip: string[] = [], prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (!prefix && skip.includes(entry.name)) continue;
    found.push(rel);
    if (entry.isDirectory) found.push(...await listTree(dir, skip, rel));
  }
  return found;
}

/** Nothing new may appear in the sandbox home outside crabbox's own state directories. */
function writesNothing(): Pick<InputCase, "setup" | "after"> {
  let before: Set<string> = new Set();
  const state = [".config", ".local", "run", ".cache"];
  return {
    setup: async (row) => {
      await repoConfig(JOBS)(row);
      before = new Set(await listTree(row.home, state));
    },
    after: async (row) => {
      const created = (await listTree(row.home, state)).filter((p) => !before.has(p));
      row.check(created.length === 0, `files were written: ${created.slice(0, 3).join(", ")}`);
    },
  };
}

/** A hostile but legal file name: the run succeeds and the file arrives on the box as it is. */
function hostileName(id: string, name: string): InputCase {
  return {
    id: `input/filename-${id}`,
    expect: "exit 0, the file arrives intact",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    args: ["run", "--class", "tiny", "--", "test", "-f", name],
    setup: async (row) => {
      const dir = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : "";
      if (dir) await Deno.mkdir(`${row.repo}/${dir}`, { recursive: true });
      await Deno.writeTextFile(`${row.repo}/${name}`, "hostile\n");
    },
  };
}

/**
 * A non-regular file in the tree. Untracked, git never lists it: the run just works. At a tracked path
 * (a committed file replaced by it), it is in the manifest: skipped with a warning before leasing and
 * never opened (reading a FIFO blocks forever).
 */
async function bindUnixSocket(path: string): Promise<void> {
  const script = "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
  const out = await new Deno.Command("python3", { args: ["-c", script, path] }).output();
  if (!out.success) throw new Error(`could not make a unix socket at ${path}`);
}

function specialFile(id: string, tracked: boolean, make: (path: string) => Promise<void>): InputCase {
  const name = `special-${id}`;
  return {
    id: `input/filetype-${id}-${tracked ? "tracked" : "untracked"}`,
    expect: tracked ? "exit 0, skipped with a warning, no hang" : "exit 0, no hang",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    setup: async (row) => {
      if (tracked) {
        await Deno.writeTextFile(`${row.repo}/${name}`, "regular\n");
        await git(row.repo, "add", name);
        await git(row.repo, "commit", "-qm", "a regular file first");
        await Deno.remove(`${row.repo}/${name}`);
      }
      await make(`${row.repo}/${name}`);
    },
    after: (row, out) => {
      if (!tracked) return;
      row.check(new RegExp(`^crabbox: warning: .*${name}`, "m").test(out.stderr), `no warning names ${name}`);
    },
  };
}

/** A .crabboxignore pattern; sync-plan (offline, same matcher) must answer in time. */
function pattern(
  id: string,
  lines: string,
  code: CodeExpectation,
  extra: Partial<InputCase> = {},
): InputCase {
  return {
    id: `input/ignore-${id}`,
    code,
    args: ["sync-plan"],
    noApi: true,
    setup: async (row) => {
      await Deno.writeTextFile(`${row.repo}/${"a".repeat(60)}.txt`, "x\n");
      await Deno.writeTextFile(`${row.repo}/.crabboxignore`, lines);
    },
    ...extra,
  };
}

const CASES: InputCase[] = [
  // ---- config files
  {
    id: "input/config-unknown-key",
    error: /\.crabbox\.yaml:1:\d+: unknown key "idleTimout"/,
    setup: repoConfig("idleTimout: 10m\n"),
  },
  {
    id: "input/config-unknown-nested-key",
    error: /\.crabbox\.yaml:2/,
    setup: repoConfig("sync:\n  exlude: [a]\n"),
  },
  { id: "input/config-type-string-for-list", setup: repoConfig("hetzner:\n  locations: fsn1\n") },
  { id: "input/config-type-list-for-map", setup: repoConfig("sync: [a, b]\n") },
  { id: "input/config-type-bad-bool", setup: repoConfig("sync:\n  delete: maybe\n") },
  { id: "input/config-alias-bomb", expect: "exit 2 in < 20 s (alias limit)", setup: repoConfig(aliasBomb()) },
  {
    id: "input/config-huge-file",
    expect: "exit 2 (size cap)",
    setup: repoConfig("# padding\n".repeat(2_000_000) + "ttl: 1h\n"),
  },
  { id: "input/config-invalid-yaml", setup: repoConfig("ttl: [unclosed\n") },
  { id: "input/config-tab-indent", setup: repoConfig("sync:\n\texclude: [a]\n") },
  { id: "input/config-top-level-list", setup: repoConfig("- a\n- b\n") },
  { id: "input/config-duplicate-key", setup: repoConfig("ttl: 1h\nttl: 2h\n") },
  { id: "input/config-bad-duration", setup: repoConfig("ttl: 90x\n") },
  { id: "input/config-zero-duration", setup: repoConfig("idleTimeout: 0m\n") },
  { id: "input/config-duration-over-max", setup: repoConfig("ttl: 200h\n") },
  {
    // As in the Go CLI's configs: the ttl caps a longer idle timeout, with a warning naming both sources.
    id: "input/config-idle-over-ttl",
    expect: "exit 0, a warning that the ttl caps it",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    setup: repoConfig("ttl: 1h\nidleTimeout: 2h\n"),
    after: (row, out) => {
      row.check(
        /^crabbox: warning: idleTimeout 2h .* the ttl caps it at 1h$/m.test(out.stderr),
        "no ttl-cap warning",
      );
    },
  },
  { id: "input/config-negative-duration", setup: repoConfig("ttl: -5m\n") },
  { id: "input/config-duration-without-unit", setup: repoConfig("ttl: 90\n") },
  { id: "input/config-bad-size", setup: repoConfig("sync:\n  warnBytes: 5XB\n") },
  { id: "input/config-out-of-range", setup: repoConfig("lease:\n  createAttempts: 9\n") },
  { id: "input/config-user-only-owner", setup: repoConfig("owner: mallory\n") },
  {
    id: "input/config-user-only-endpoint",
    expect: "exit 2, the token never goes elsewhere",
    setup: repoConfig("hetzner:\n  endpoint: http://127.0.0.1:9/\n"),
  },
  { id: "input/config-secret-key-name", setup: repoConfig("apiToken: x\n") },
  {
    id: "input/config-secret-value-not-echoed",
    expect: "exit 2, the value is never echoed",
    setup: repoConfig(`env:\n  set:\n    X: ${CANARY_TOKEN}\n`),
  },
  {
    id: "input/config-both-repo-files",
    setup: async (row) => {
      await repoConfig("ttl: 1h\n")(row);
      await Deno.writeTextFile(`${row.repo}/crabbox.yaml`, "ttl: 2h\n");
    },
  },
  { id: "input/config-jobs-in-user-config", setup: userConfig(JOBS) },
  { id: "input/config-env-allow-bare-star", setup: repoConfig("env:\n  allow: ['*']\n") },
  { id: "input/config-env-allow-inner-star", setup: repoConfig("env:\n  allow: ['A*B']\n") },
  { id: "input/config-env-allow-bad-name", setup: repoConfig("env:\n  allow: ['A;B']\n") },
  {
    id: "input/config-job-bad-stop",
    args: ["job", "run", "t"],
    setup: repoConfig("jobs:\n  t:\n    command: 'true'\n    stop: sometimes\n"),
  },
  { id: "input/config-job-bad-name", setup: repoConfig('jobs:\n  "Bad Name":\n    command: "true"\n') },
  {
    id: "input/config-job-command-and-synconly",
    args: ["job", "run", "t"],
    setup: repoConfig("jobs:\n  t:\n    command: 'true'\n    syncOnly: true\n"),
  },
  {
    id: "input/config-job-workdir-escapes",
    args: ["job", "run", "t"],
    setup: repoConfig("jobs:\n  t:\n    command: 'true'\n    workdir: ../outside\n"),
  },
  {
    id: "input/config-job-absolute-artifact",
    args: ["job", "run", "t"],
    setup: repoConfig("jobs:\n  t:\n    command: 'true'\n    artifacts: [/etc/passwd]\n"),
  },
  { id: "input/config-deep-nesting", setup: repoConfig(`x: ${"[".repeat(20000)}${"]".repeat(20000)}\n`) },
  {
    id: "input/config-not-utf8",
    setup: repoConfig(new Uint8Array([0x74, 0x74, 0x6c, 0x3a, 0x20, 0xff, 0xfe, 0x0a])),
  },
  {
    id: "input/config-is-a-fifo",
    expect: "exit 2 in < 20 s (never blocks on it)",
    setup: (row) => mkfifo(`${row.repo}/.crabbox.yaml`),
  },
  {
    id: "input/config-symlink-loop",
    setup: async (row) => {
      await Deno.symlink(".crabbox.yaml.b", `${row.repo}/.crabbox.yaml`);
      await Deno.symlink(".crabbox.yaml", `${row.repo}/.crabbox.yaml.b`);
    },
  },
  { id: "input/config-is-a-directory", setup: (row) => Deno.mkdir(`${row.repo}/.crabbox.yaml`) },
  // ---- environment
  { id: "input/env-bad-ttl", error: /CRABBOX_TTL/, env: { CRABBOX_TTL: "soon" } },
  { id: "input/env-ssh-port-out-of-range", error: /CRABBOX_SSH_PORT/, env: { CRABBOX_SSH_PORT: "99999" } },
  { id: "input/env-config-is-a-directory", env: { CRABBOX_CONFIG: "/" } },
  {
    id: "input/env-endpoint-plain-http-remote",
    expect: "exit 2, the token is never sent in clear",
    env: { HCLOUD_ENDPOINT: "http://api.example.invalid/v1" },
  },
  { id: "input/env-no-token", code: 3, env: { HCLOUD_TOKEN: "", HETZNER_TOKEN: "" }, error: /token/i },
  // ---- flags
  { id: "input/flag-unknown", args: ["run", "--frobnicate", "--", "true"] },
  { id: "input/flag-unknown-command", args: ["rnu", "--", "true"], error: /rnu/ },
  { id: "input/flag-unknown-class", args: ["run", "--class", "gigantic", "--", "true"], error: /class/ },
  { id: "input/flag-timeout-zero", args: ["run", "--class", "tiny", "--timeout", "0s", "--", "true"] },
  {
    id: "input/flag-timeout-garbage",
    args: ["run", "--class", "tiny", "--timeout", "5x", "--", "true"],
  },
  { id: "input/flag-bad-stop", args: ["run", "--class", "tiny", "--stop", "sometimes", "--", "true"] },
  {
    id: "input/flag-id-with-class",
    args: ["run", "--id", "x", "--class", "tiny", "--", "true"],
  },
  { id: "input/flag-id-with-pool", args: ["run", "--id", "x", "--pool", "--", "true"] },
  {
    id: "input/flag-full-resync-no-sync",
    args: ["run", "--class", "tiny", "--full-resync", "--no-sync", "--", "true"],
  },
  { id: "input/flag-ttl-zero", args: ["run", "--class", "tiny", "--ttl", "0m", "--", "true"] },
  { id: "input/flag-ttl-over-max", args: ["run", "--class", "tiny", "--ttl", "999h", "--", "true"] },
  {
    id: "input/flag-idle-over-ttl",
    args: ["run", "--class", "tiny", "--ttl", "1h", "--idle-timeout", "2h", "--", "true"],
  },
  {
    id: "input/flag-slug-empty-after-normalizing",
    args: ["run", "--class", "tiny", "--slug", "!!!", "--", "true"],
  },
  {
    id: "input/flag-slug-too-long",
    args: ["run", "--class", "tiny", "--slug", "a".repeat(60), "--", "true"],
  },
  {
    id: "input/flag-lock-timeout-garbage",
    args: ["run", "--id", "x", "--lock-timeout", "abc", "--", "true"],
  },
  { id: "input/flag-no-command", args: ["run"] },
  {
    id: "input/flag-empty-command",
    expect: 'exit 2 for run -- ""',
    args: ["run", "--class", "tiny", "--", ""],
  },
  {
    id: "input/flag-bootstrap-timeout-zero",
    args: ["run", "--class", "tiny", "--bootstrap-timeout", "0s", "--", "true"],
  },
  { id: "input/flag-warmup-count-zero", args: ["warmup", "--class", "tiny", "--pool", "--count", "0"] },
  { id: "input/flag-warmup-count-without-pool", args: ["warmup", "--class", "tiny", "--count", "3"] },
  { id: "input/flag-provider-other", args: ["--provider", "aws", "list"] },
  { id: "input/flag-unknown-profile", args: ["--profile", "nope", "run", "--class", "tiny", "--", "true"] },
  { id: "input/flag-wait-timeout-garbage", args: ["status", "x", "--wait", "--wait-timeout", "nope"] },
  { id: "input/flag-stop-without-id", args: ["stop"] },
  { id: "input/flag-sweep-grace-garbage", args: ["sweep", "--grace", "x"] },
  {
    id: "input/flag-no-arguments",
    expect: "exit 2, help on stderr",
    args: [],
    skipPrefixCheck: true,
  },
  // ---- ids (looked up, so API reads are fine; nothing is created)
  { id: "input/id-unknown-slug", code: 4, noApi: false, args: ["stop", "no-such-prawn"] },
  {
    id: "input/id-numeric-out-of-range",
    code: 4,
    noApi: false,
    args: ["status", "99999999999999999999"],
  },
  { id: "input/id-numeric-past-int64", code: 4, noApi: false, args: ["stop", "9223372036854775808"] },
  { id: "input/id-numeric-zero", code: 4, noApi: false, args: ["status", "0"] },
  {
    id: "input/id-canonical-gone",
    code: 4,
    noApi: false,
    args: ["run", "--id", "cbx_000000000000", "--", "true"],
  },
  { id: "input/id-ssh-unknown", code: 4, noApi: false, args: ["ssh", "no-such-krill", "--print"] },
  { id: "input/id-path-traversal", code: [2, 4], noApi: false, args: ["status", "../../../etc/passwd"] },
  // ---- env names
  {
    id: "input/envname-allow-env-semicolon",
    args: ["run", "--class", "tiny", "--allow-env", "A;B", "--", "true"],
  },
  {
    id: "input/envname-allow-env-bare-star",
    args: ["run", "--class", "tiny", "--allow-env", "*", "--", "true"],
  },
  {
    id: "input/envname-prefix-matches-injection",
    expect: "exit 0|2; the name never reaches the box",
    code: [0, 2],
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    args: ["run", "--class", "tiny", "--allow-env", "APP_*", "--", "true"],
    env: { "APP_X;echo INJECTED": "1", APP_OK: "1" },
    after: (row, out) =>
      void row.check(!out.stdout.includes("INJECTED"), "the env name was executed on the box"),
  },
  {
    id: "input/envname-value-with-quotes",
    expect: "exit 0, the value stays a value",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    args: [
      "run",
      "--class",
      "tiny",
      "--allow-env",
      "APP_V",
      "--",
      "sh",
      "-c",
      'printf "%s" "$APP_V" | wc -c',
    ],
    env: { APP_V: QUOTED_VALUE },
    after: (row, out) => {
      row.check(!out.stdout.includes("INJECTED") && !/uid=/.test(out.stdout), "the value was executed");
      const bytes = String(new TextEncoder().encode(QUOTED_VALUE).length);
      row.check(
        out.stdout.trim() === bytes,
        `the value arrived changed (${out.stdout.trim()} of ${bytes} bytes)`,
      );
    },
  },
  {
    id: "input/envname-prefix-skips-secret-names",
    expect: "exit 0, APP_SECRET not forwarded",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    args: ["run", "--class", "tiny", "--allow-env", "APP_*", "--", "sh", "-c", 'test -z "${APP_SECRET:-}"'],
    env: { APP_SECRET: CANARY_VALUE },
  },
  // ---- job names
  {
    id: "input/jobname-traversal-dry-run",
    expect: "exit 2, nothing written",
    args: ["job", "run", "../../x", "--dry-run"],
    ...writesNothing(),
  },
  { id: "input/jobname-absolute-dry-run", args: ["job", "run", "/tmp/x", "--dry-run"], ...writesNothing() },
  { id: "input/jobname-unknown", args: ["job", "run", "nosuch"], setup: repoConfig(JOBS) },
  { id: "input/jobname-with-space", args: ["job", "run", "a b"], setup: repoConfig(JOBS) },
  { id: "input/jobname-empty", args: ["job", "run", ""], setup: repoConfig(JOBS) },
  { id: "input/jobname-uppercase", args: ["job", "run", "TEST"], setup: repoConfig(JOBS) },
  // ---- hostile file names (legal: they must arrive)
  hostileName("newline", "new\nline.txt"),
  hostileName("leading-dash", "-rf"),
  hostileName("option-lookalike", "--delete"),
  hostileName("unicode", "ünïcødé-文件-🦀.txt"),
  hostileName("spaces", "with  two spaces .txt"),
  hostileName("very-long", `${"l".repeat(240)}.txt`),
  hostileName("shell-meta", "$(touch INJECTED)`id`;|&*?.txt"),
  hostileName("quotes-backslash", `it's \\ "quoted".txt`),
  hostileName("dash-directory", "-d/--x/file"),
  // ---- file types
  ...[false, true].flatMap((tracked) => [
    specialFile("fifo", tracked, mkfifo),
    specialFile(
      "socket",
      tracked,
      // Deno unlinks a unix socket it closes; a bound socket of another process stays on disk.
      bindUnixSocket,
    ),
    specialFile("device", tracked, mknodNull),
  ]),
  {
    id: "input/filetype-symlink-loop",
    expect: "exit 0, no hang",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    setup: async (row) => {
      await Deno.symlink("loop-b", `${row.repo}/loop-a`);
      await Deno.symlink("loop-a", `${row.repo}/loop-b`);
    },
  },
  {
    id: "input/filetype-symlink-outside",
    expect: "exit 0, the target's content never sent",
    code: 0,
    noApi: false,
    deadlineMs: LEASING_DEADLINE,
    args: ["run", "--class", "tiny", "--", "sh", "-c", "! test -f shadow-link || test -L shadow-link"],
    setup: (row) => Deno.symlink("/etc/shadow", `${row.repo}/shadow-link`),
  },
  // ---- .crabboxignore patterns (sync-plan, offline)
  pattern("25-stars", `${"*".repeat(25)}q\n`, 0, { expect: "exit 0 in < 20 s (linear match)" }),
  pattern("alternating-stars", `${"*a".repeat(25)}b\n`, 0, { expect: "exit 0 in < 20 s (linear match)" }),
  pattern("double-star-chain", `${"**/".repeat(20)}q\n`, 0),
  // git reads an unclosed bracket literally; either that or a located error is fine, never "a bug".
  pattern("unclosed-bracket", "ok-pattern\n[unclosed\n", [0, 2], { error: /\.crabboxignore:2/ }),
  pattern("reversed-range", "[z-a]\n", 2, { error: /\.crabboxignore:1/ }),
  pattern("trailing-backslash", "foo\\\n", [0, 2]),
  pattern("many-lines", Array.from({ length: 100_000 }, (_, i) => `dir${i}/*.tmp`).join("\n") + "\n", [0, 2]),
  {
    id: "input/ignore-is-a-fifo",
    expect: "exit 0|2 in < 20 s (never blocks)",
    code: [0, 2],
    args: ["sync-plan"],
    setup: (row) => mkfifo(`${row.repo}/.crabboxignore`),
  },
];

function inputRow(c: InputCase): Row {
  const code = c.code ?? 2;
  const noApi = c.noApi ?? code === 2;
  const failing = (n: number) => n !== 0;
  return {
    id: c.id,
    category: "input",
    expect: c.expect ?? `${describeCode(code)}${noApi ? ", no API call" : ""}`,
    deadlineMs: c.deadlineMs ?? 20_000,
    async run(row) {
      await c.setup?.(row);
      const fakeBefore = row.fake.log.length;
      const proxyBefore = row.world.proxy.log.length;
      const out = await row.crabbox(c.args ?? RUN, { env: c.env });
      checkOutput(row, "crabbox", out, {
        code,
        errorLine: c.args?.length === 0 ? "at most one" : failing(out.code) ? "one" : "none",
        error: c.error,
        skipPrefixCheck: c.skipPrefixCheck,
      });
      row.check(!/this is a bug/.test(out.stderr), `reported as a crabbox bug: ${out.stderr.split("\n")[0]}`);
      await c.after?.(row, out);
      await row.world.proxy.idle();
      const requests = row.fake.log.length - fakeBefore + (row.world.proxy.log.length - proxyBefore);
      if (noApi) {
        row.check(requests === 0, `an API request was made (${requests}) before rejecting the input`);
      }
      if (!(await row.expectNothingLeft("the input created resources"))) await row.sweepPastExpiry();
    },
  };
}

/** `crabbox --help | head -1`: the reader is gone before help is written; still exit 0. */
const helpClosedStdout: Row = {
  id: "input/help-with-closed-stdout",
  category: "input",
  expect: "exit 0, no stack trace",
  deadlineMs: 20_000,
  async run(row) {
    const proc = row.spawn(["--help"]);
    await proc.close("stdout");
    const out = await proc.done;
    checkOutput(row, "crabbox --help", out, { code: 0, errorLine: "none" });
  },
};

export function inputRows(): Row[] {
  return [...CASES.map(inputRow), helpClosedStdout];
}
