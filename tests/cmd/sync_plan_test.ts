/** `crabbox sync-plan` offline on a real git repo: what is sent, kept and excluded, with no token. */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

async function git(cwd: string, ...args: string[]) {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@x", "-c", "user.name=t", ...args],
    cwd,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("sync-plan: secrets excluded even when tracked, tracked build output kept, JSON shape", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-plan-" });
  const files: Record<string, string> = {
    "src/app.ts": "x".repeat(300),
    "dist/schema.json": "{}",
    ".env.local": "A=1",
    "config/dev.key": "k",
    ".env.example": "A=",
    "README.md": "hi",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${repo}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${repo}/${path}`, text);
  }
  await git(repo, "init", "-q");
  await git(repo, "add", "-f", ".");
  await git(repo, "commit", "-qm", "x");
  await Deno.writeTextFile(`${repo}/node_modules.txt`, "untracked");
  await Deno.mkdir(`${repo}/node_modules/pkg`, { recursive: true });
  await Deno.writeTextFile(`${repo}/node_modules/pkg/index.js`, "skip");
  const cli = await fakeCli({ cwd: repo, env: { HCLOUD_TOKEN: "" } });
  try {
    const human = await cli.run("sync-plan", "--limit", "2");
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /^sync candidate: 5 files, 315 B \(repo cbx-plan-\S+, \d+ rules, \.crabboxignore: no\)$/m,
    );
    assert.match(
      human.stdout,
      /^warning: 2 tracked files excluded as secret-like: \.env\.local \(\.env\*\), config\/dev\.key \(\*\.key\)$/m,
    );
    assert.match(
      human.stdout,
      /^note: 1 tracked files kept despite build-dir rules: dist\/schema\.json \(dist\)$/m,
    );
    assert.match(human.stdout, /^top files:\n {2}300 B +src\/app\.ts\n/m);
    const json = JSON.parse((await cli.run("sync-plan", "--json")).stdout);
    assert.deepEqual(json.candidate, { files: 5, bytes: 315 });
    assert.equal(json.guardrail.status, "ok");
    assert.deepEqual(json.topDirs[0], { dir: "src", bytes: 300, files: 1 });
    assert.deepEqual(cli.hetzner.calls, [], "sync-plan never calls the API");
    const bad = await cli.run("sync-plan", "--limit", "0");
    assert.equal(bad.code, 2);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("sync-plan: a FIFO git lists is shown as skipped, never read", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-plan-fifo-" });
  await Deno.writeTextFile(`${repo}/a.txt`, "a");
  await Deno.writeTextFile(`${repo}/pipe`, "was a file");
  await git(repo, "init", "-q");
  await git(repo, "add", ".");
  await git(repo, "commit", "-qm", "x");
  await Deno.remove(`${repo}/pipe`);
  assert.ok((await new Deno.Command("mkfifo", { args: [`${repo}/pipe`] }).output()).success);
  const cli = await fakeCli({ cwd: repo, env: { HCLOUD_TOKEN: "" } });
  try {
    const human = await cli.run("sync-plan");
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^sync candidate: 1 files, 1 B /m);
    assert.match(human.stdout, /^skipped: 1 non-regular file \(never synced\): pipe \(fifo\)$/m);
    const json = JSON.parse((await cli.run("sync-plan", "--json")).stdout);
    assert.deepEqual(json.skippedNonRegular, { count: 1, examples: [{ path: "pipe", kind: "fifo" }] });
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});
