/**
 * One permission list (tools/permissions) for ./crabbox, `deno task crabbox`, the e2e runner and the
 * release compile; and that list is enough for every adapter the product calls, and no broader
 * than the programs it names.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PERMISSIONS, readPermissions } from "../e2e/_cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROBE = fileURLToPath(new URL("./_adapter_probe.ts", import.meta.url));

async function runProbe(permissions: string[]): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "cbx-perm-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  // A live process of ours and a pid that surely is gone (a child that has exited and been reaped).
  const live = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        ...permissions,
        PROBE,
        dir,
        String(live.pid),
        String(dead.pid),
        String((listener.addr as Deno.NetAddr).port),
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    live.kill("SIGKILL");
    await live.status;
    listener.close();
    await accepting.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tools/permissions is enough for every real adapter, with no silent fallback", async () => {
  const got = await runProbe(readPermissions());
  const failures = Object.entries(got).filter(([, v]) => typeof v === "object" && v !== null);
  assert.deepEqual(failures, [], "an adapter failed under the release permissions");
  const { userInfo, hostname, homedir } = await import("node:os");
  assert.equal(got.user, userInfo().username, "user() fell back instead of reading the account");
  assert.equal(got.hostname, hostname().split(".")[0]);
  assert.equal(got.homeDir, homedir());
  assert.equal(got.uid, Deno.uid());
  assert.equal(got.liveAlive, true, "a live lock holder must not look dead (the pool would reclaim its box)");
  assert.equal(got.deadAlive, false);
  for (const cmd of ["ssh", "ssh-keygen", "ssh-keyscan", "rsync", "git"]) {
    assert.equal(got[`run:${cmd}`], "ran", cmd);
    assert.equal(got[`which:${cmd}`], true, cmd);
  }
  assert.equal(got.fs, "x 600");
  assert.equal(got.tcpProbe, true);
  assert.equal(got.prompt, "boolean");
});

Deno.test("the probe notices a missing permission (sys homedir, run kill)", async () => {
  const narrowed = readPermissions().map((flag) =>
    flag.startsWith("--allow-sys=")
      ? flag.replace(",homedir", "")
      : flag.startsWith("--allow-run=")
      ? flag.replace(",kill", "")
      : flag
  );
  const got = await runProbe(narrowed);
  assert.match(JSON.stringify(got.homeDir), /NotCapable.*homedir/);
  // Without `kill` a holder is called alive (never robbed), so the dead pid shows it.
  assert.equal(got.deadAlive, true);
});

Deno.test("one list: the launcher, the task, the e2e runner and the release compile all use tools/permissions", async () => {
  const read = (path: string) => Deno.readTextFile(`${ROOT}${path}`);
  const flags = readPermissions();
  assert.deepEqual(PERMISSIONS, ["--no-prompt", ...flags], "e2e runner");
  assert.ok(
    flags.every((f) =>
      /^--allow-(run|env|read|write|net|sys)(=[\w,.-]+)?$/.test(f) ||
      f === "--v8-flags=--max-semi-space-size=2"
    ),
    flags.join(" "),
  );
  assert.ok(!flags.includes("--allow-all") && !flags.includes("--allow-run"), "never unrestricted run");
  for (const script of ["crabbox", "tools/compile"]) {
    const text = await read(script);
    assert.match(text, /tools\/permissions/, script);
    assert.doesNotMatch(text, /--allow-/, `${script} must not carry flags of its own`);
  }
  const release = await read(".github/workflows/release.yml");
  assert.match(release, /tools\/compile dist\/crabbox/);
  assert.doesNotMatch(
    release,
    /deno compile|--allow-(run|env|read|write|net|sys)/,
    "compile via tools/compile",
  );
  const deno = JSON.parse(await read("deno.json"));
  assert.match(deno.tasks.crabbox, /\.\/crabbox$/);
  assert.doesNotMatch(await read("tools/try"), /--allow-/);
});
