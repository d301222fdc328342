/**
 * P2 of issue 10: a no-change `run --id X -- true` on a generated 10k/50k/100k-file repo against
 * `git status --porcelain` on the same repo, paired samples. Printed, never asserted. Each row also
 * names the summary line's sync figure (manifest + fingerprint + skip), so a regression shows where.
 */
import { git, type Sandbox } from "../tests/e2e/_cli.ts";

export interface NoChangeRow {
  size: number;
  crabboxMs: number;
  gitStatusMs: number;
  /** The `sync=` figure of the last crabbox run's summary line. */
  syncPhase: string;
  /** The `total=` figure of that line. */
  summaryTotal: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

async function gitStatus(cwd: string): Promise<void> {
  const out = await new Deno.Command("git", { args: ["status", "--porcelain"], cwd, stdout: "null" })
    .output();
  if (!out.success) throw new Error(`git status failed in ${cwd}`);
}

/** One row per size: a committed repo, one warming run, then `samples` paired runs. */
export async function benchNoChange(
  box: Sandbox,
  lease: string,
  options: {
    sizes: number[];
    samples: number;
    makeTree: (dir: string, files: number, bytes: number) => Promise<void>;
  },
): Promise<NoChangeRow[]> {
  const { sizes, samples, makeTree } = options;
  const rows: NoChangeRow[] = [];
  const run = async (repo: string) => {
    const result = await box.crabbox(["run", "--id", lease, "--", "true"], { cwd: repo });
    if (result.code !== 0) throw new Error(`crabbox run in ${repo}: ${result.stderr}`);
    return result.stderr;
  };
  for (const size of sizes) {
    const repo = `${box.home}/big${size}`;
    await makeTree(repo, size, 40);
    await git(repo, "init", "-q");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "big");
    await run(repo);
    const crabbox: number[] = [], status: number[] = [];
    let stderr = "";
    for (let i = 0; i < samples; i++) {
      const [ms, text] = await timed(() => run(repo));
      crabbox.push(ms);
      stderr = text;
      status.push((await timed(() => gitStatus(repo)))[0]);
    }
    if (!/sync skipped: no changes/.test(stderr)) throw new Error(`no-change run synced:\n${stderr}`);
    rows.push({
      size,
      crabboxMs: median(crabbox),
      gitStatusMs: median(status),
      syncPhase: stderr.match(/ sync=(\S+)/)?.[1] ?? "?",
      summaryTotal: stderr.match(/ total=(\S+)/)?.[1] ?? "?",
    });
    await Deno.remove(repo, { recursive: true });
  }
  return rows;
}

/** The goal's name, as the table prints it. */
export const noChangeGoal = (size: number) => `P2 unchanged ${size / 1000}k-file repo, \`run --id\``;
