/**
 * The performance goals of issue 10, measured side by side in one run and printed as a table: each goal's
 * crabbox figure, its limit figure and the ratio. Printed, never asserted. Runs against the local harness;
 * needs root. `deno task bench` (full) or `deno task bench --quick` (minutes); `--only=P2,P5` measures just
 * those goals. Timings are medians of
 * paired samples (crabbox, then limit, alternating), so load from other processes hits both alike.
 * Beside it: bench/compression.ts (P3: what each rsync compression choice costs on a tree) and
 * bench/profile_no_change.ts (P2: a no-change run under --cpu-prof), run by hand.
 */
import { startHarness } from "../tests/harness/harness.ts";
import { git, MAIN, PERMISSIONS, type Sandbox, sandbox } from "../tests/e2e/_cli.ts";
import { benchNoChange, noChangeGoal } from "./no_change.ts";
import { benchSweep, sweepGoal } from "./sweep.ts";

const quick = Deno.args.includes("--quick");
/** `--only=P2,P7`: just those goals (P7 comes with P3), for a figure in minutes instead of the whole table. */
const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const measures = (goal: string) => !only || only.includes(goal) || (goal === "P3" && only.includes("P7"));
const SAMPLES = quick ? 5 : 9;
const P2_SIZES = quick ? [10_000] : [10_000, 50_000, 100_000];
const P3_FILES = quick ? 2_000 : 20_000;
const P3_FILE_BYTES = 10_000;
const P5_SIZES = quick ? [1_000] : [1_000, 4_000];

interface Row {
  goal: string;
  crabbox: string;
  limit: string;
  ratio: string;
}
const rows: Row[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function paired(crabbox: () => Promise<unknown>, limit: () => Promise<unknown>, n = SAMPLES) {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < n; i++) {
    a.push(await timed(crabbox));
    b.push(await timed(limit));
  }
  return { crabbox: median(a), limit: median(b) };
}

function row(goal: string, c: number, l: number, limitWhat: string) {
  rows.push({ goal, crabbox: seconds(c), limit: `${limitWhat} ${seconds(l)}`, ratio: ratio(c, l) });
  console.error(`bench: ${goal}: ${seconds(c)} vs ${seconds(l)}`);
}

async function sh(cmd: string, args: string[], cwd?: string): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

async function ok(box: Sandbox, args: string[], cwd?: string) {
  const result = await box.crabbox(args, cwd ? { cwd } : {});
  if (result.code !== 0) throw new Error(`crabbox ${args.join(" ")}: ${result.stderr}`);
  return result;
}

async function makeTree(dir: string, files: number, bytes: number) {
  await Deno.mkdir(dir, { recursive: true });
  const body = "x".repeat(Math.max(0, bytes - 12));
  for (let i = 0; i < files; i++) {
    const sub = `${dir}/d${Math.floor(i / 500)}/e${Math.floor(i / 50) % 10}`;
    if (i % 50 === 0) await Deno.mkdir(sub, { recursive: true });
    await Deno.writeTextFile(`${sub}/f${i}.txt`, `${i}\n${body}`);
  }
}

/** ms from a new server's appearance in the fake until an SSH banner comes from its port 2222. */
async function watchBoot(known: Set<number>): Promise<number> {
  const poll = () => new Promise((resolve) => setTimeout(resolve, 5));
  let server;
  while (!(server = [...harness.fake.servers.values()].find((s) => !known.has(s.id) && s.box))) await poll();
  const started = performance.now();
  const ip = server.box!.ip;
  for (;;) {
    if (await sshBanner(ip, 2222)) return performance.now() - started;
    await poll();
  }
}

/** One try, bounded to 200 ms: a SYN into a namespace not yet wired waits for the kernel's timeout. */
async function sshBanner(hostname: string, port: number): Promise<boolean> {
  const connecting = Deno.connect({ hostname, port });
  const timeout = () => new Promise<null>((resolve) => setTimeout(() => resolve(null), 200));
  const conn = await Promise.race([connecting.catch(() => null), timeout()]);
  if (!conn) {
    connecting.then((late) => late.close(), () => {});
    return false;
  }
  try {
    const buf = new Uint8Array(8);
    const n = await Promise.race([conn.read(buf).catch(() => null), timeout()]);
    return !!n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("SSH-");
  } finally {
    conn.close();
  }
}

const harness = await startHarness();
const box = await sandbox(harness);
try {
  // P6: --version / --help against an empty `deno run`.
  if (measures("P6")) {
    const empty = `${box.home}/empty.ts`;
    await Deno.writeTextFile(empty, "");
    const denoRun = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", ...PERMISSIONS, ...args],
        env: box.env,
        clearEnv: true,
        stdout: "null",
        stderr: "null",
      }).output();
    const version = await paired(() => denoRun([MAIN, "--version"]), () => denoRun([empty]));
    row("P6 `crabbox --version`", version.crabbox, version.limit, "empty deno run");
    const help = await paired(() => denoRun([MAIN, "--help"]), () => denoRun([empty]));
    row("P6 `crabbox --help`", help.crabbox, help.limit, "empty deno run");
  }

  // P5: sweep requests over many paper servers, against the goal's pages + deletes.
  for (const p5 of measures("P5") ? await benchSweep(harness, box, P5_SIZES) : []) {
    rows.push({
      goal: sweepGoal(p5),
      crabbox: `${p5.requests} (${p5.lists} GET, ${p5.deletes} DELETE) in ${seconds(p5.ms)}`,
      limit: `${Math.ceil(p5.servers / 50) + 1} pages + ${2 * p5.expired} deletes (box, key) = ${p5.limit}`,
      ratio: ratio(p5.requests, p5.limit),
    });
    console.error(`bench: ${sweepGoal(p5)}: ${p5.requests} vs ${p5.limit} in ${seconds(p5.ms)}`);
  }

  // A warm lease on the sample repo.
  const warm = await ok(box, ["warmup", "--class", "tiny"]);
  const lease = warm.stdout.match(/^leased (cbx_\S+)/m)![1];
  await ok(box, ["run", "--id", lease, "--", "true"]);
  const printed = (await ok(box, ["ssh", lease, "--print"])).stdout.trim();
  // The same pinned options, without the master: first -o wins in ssh, so these go in front.
  const bare = printed.replace(/^ssh /, "ssh -o ControlMaster=no -o ControlPath=none ")
    .replace(/ '[^']*exec bash -l'$/, "").replace(/^ssh -t /, "ssh ").replace(" -t ", " ");
  const bareSsh = () => sh("bash", ["-c", `${bare} true`]);
  if ((await bareSsh()).code !== 0) throw new Error(`bare ssh failed: ${bare}`);

  // P1: warm run against one bare non-multiplexed ssh.
  if (measures("P1")) {
    const p1 = await paired(() => ok(box, ["run", "--id", lease, "--", "true"]), bareSsh);
    row("P1 warm `run --id X -- true`", p1.crabbox, p1.limit, "bare ssh");
  }

  // P4: API requests (counts from the fake's log).
  const requests = async (fn: () => Promise<unknown>) => {
    const before = (await harness.admin.log()).length;
    await fn();
    return (await harness.admin.log()).length - before;
  };
  if (measures("P4")) {
    const warmRequests = await requests(() => ok(box, ["run", "--id", lease, "--", "true"]));
    const oneShotRequests = await requests(() => ok(box, ["run", "--class", "tiny", "--", "true"]));
    rows.push({
      goal: "P4 API requests, warm `run --id`",
      crabbox: `${warmRequests}`,
      limit: "2",
      ratio: "",
    });
    rows.push({
      goal: "P4 API requests, one-shot `run`",
      crabbox: `${oneShotRequests}`,
      limit: "6",
      ratio: "",
    });
  }

  // P8: one-shot `run -- true` beyond the provider's own boot, timed from the outside: from the server's
  // appearance in the fake to its sshd on the configured port (only user-data opens it) saying hello.
  if (measures("P8")) {
    const runs: number[] = [], boots: number[] = [];
    for (let i = 0; i < (quick ? 3 : 5); i++) {
      const before = new Set(harness.fake.servers.keys());
      const boot = watchBoot(before);
      runs.push(await timed(() => ok(box, ["run", "--class", "tiny", "--", "true"])));
      boots.push(await boot);
    }
    const overhead = runs.map((r, i) => r - boots[i]);
    rows.push({
      goal: "P8 one-shot `run -- true` beyond the boot",
      crabbox: seconds(median(overhead)),
      limit: `1.000 s (run ${seconds(median(runs))}, boot ${seconds(median(boots))})`,
      ratio: ratio(median(overhead), 1000),
    });
    console.error(`bench: P8: run ${seconds(median(runs))} boot ${seconds(median(boots))}`);
  }

  // P2: no-change run on a big repo against `git status --porcelain` (bench/no_change.ts).
  const p2Rows = measures("P2")
    ? await benchNoChange(box, lease, { sizes: P2_SIZES, samples: quick ? 3 : 5, makeTree })
    : [];
  for (const p2 of p2Rows) {
    row(noChangeGoal(p2.size), p2.crabboxMs, p2.gitStatusMs, "git status");
    console.error(`bench: ${noChangeGoal(p2.size)}: summary sync=${p2.syncPhase} total=${p2.summaryTotal}`);
  }

  // P3: first full sync against a bare `rsync -a` of the same tree to the same box.
  if (measures("P3")) {
    const repo = `${box.home}/sync${P3_FILES}`;
    await makeTree(repo, P3_FILES, P3_FILE_BYTES);
    await git(repo, "init", "-q");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "sync");
    const rsh = bare.replace(/ \S+@\S+$/, "");
    const dest = printed.match(/ (\S+@\S+)/g)!.at(-1)!.trim().replace(/'/g, "");
    const c: number[] = [], l: number[] = [], cc: number[] = [], lc: number[] = [], rss: number[] = [];
    const crabboxRss: number[] = [];
    const cpu = async (cmd: string, args: string[], cwd: string) => {
      const out = await new Deno.Command("/usr/bin/time", {
        args: ["-f", "CPU %U %S %M", cmd, ...args],
        cwd,
        env: box.env,
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).output();
      const m = new TextDecoder().decode(out.stderr).match(/CPU (\S+) (\S+) (\d+)\s*$/)!;
      if (out.code !== 0) throw new Error(`${cmd} failed`);
      // %M: the peak RSS (KiB) of the process or of its biggest child (rsync, ssh).
      rss.push(Number(m[3]) / 1024);
      return Number(m[1]) + Number(m[2]);
    };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const started = performance.now();
      cc.push(
        await cpu(Deno.execPath(), [
          "run",
          "--quiet",
          ...PERMISSIONS,
          MAIN,
          "run",
          "--id",
          lease,
          "--full-resync",
          "--",
          "true",
        ], repo),
      );
      c.push(performance.now() - started);
      crabboxRss.push(rss.pop()!);
      await sh("bash", ["-c", `${bare} rm -rf /tmp/cbx-bench-rsync`]);
      const started2 = performance.now();
      lc.push(await cpu("rsync", ["-a", "-e", rsh, `${repo}/`, `${dest}:/tmp/cbx-bench-rsync/`], repo));
      l.push(performance.now() - started2);
    }
    // The box shares the host's /tmp (HARNESS.md): the bare rsync's copy would outlive the bench.
    await sh("bash", ["-c", `${bare} rm -rf /tmp/cbx-bench-rsync`]);
    row(`P3 first sync ${P3_FILES / 1000}k files`, median(c), median(l), "rsync -a");
    rows.push({
      goal: `P3 CPU of that sync`,
      crabbox: `${median(cc).toFixed(2)} s`,
      limit: `rsync -a ${median(lc).toFixed(2)} s`,
      ratio: ratio(median(cc), median(lc)),
    });
    rows.push({
      goal: `P7 peak RSS of that sync`,
      crabbox: `${median(crabboxRss).toFixed(0)} MB`,
      limit: "80 MB",
      ratio: ratio(median(crabboxRss), 80),
    });
  }
  await ok(box, ["stop", lease]);
} finally {
  await box.cleanup();
  await harness.stop();
}

console.log(
  `| goal (${quick ? "quick" : "full"}, medians of ${SAMPLES} paired samples) | crabbox | limit | ratio |`,
);
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.goal} | ${r.crabbox} | ${r.limit} | ${r.ratio} |`);
