/**
 * The static hosts' port (provider ssh) with its ssh played by local bash: lease.sh runs for real against a
 * temp dir per host, so claims, label writes and releases are the host's own; host keys are pinned by the rules.
 */
import assert from "node:assert/strict";
import type { ProcessRunner, RunOptions, RunResult } from "../../core/deps.ts";
import { CrabboxError } from "../../core/errors.ts";
import { realFs, realProcess } from "../../core/runtime.ts";
import { createStaticApi, type StaticApiOptions } from "../../providers/static/api.ts";
import { hostId, staticHosts } from "../../providers/static/hosts.ts";
import { ManualClock } from "../cmd/_fakes.ts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const enc = new TextEncoder();
const result = (code: number, stdout = ""): RunResult => ({
  code,
  signal: null,
  stdout: enc.encode(stdout),
  stderr: new Uint8Array(),
});

/** ssh runs its remote command under local bash; ssh-keygen -F and ssh-keyscan answer as told. */
class LocalHosts {
  calls: string[] = [];
  knownHosts = "";
  keyscan = "";
  readonly proc: ProcessRunner = {
    run: async (cmd: string, args: string[], options?: RunOptions) => {
      this.calls.push(cmd);
      if (cmd === "ssh-keygen") return result(0, this.knownHosts);
      if (cmd === "ssh-keyscan") return result(0, this.keyscan);
      if (cmd !== "ssh") throw new Error(`unexpected ${cmd}`);
      return await realProcess.run("bash", ["-c", args.at(-1)!], { stdin: options?.stdin });
    },
    spawn: () => {
      throw new Error("spawn");
    },
    interactive: () => Promise.resolve(1),
    which: (cmd) => Promise.resolve(`/usr/bin/${cmd}`),
  };
}

async function setup(hostCount: number, change: Partial<StaticApiOptions> = {}) {
  const dir = await Deno.makeTempDir();
  const roots = Array.from({ length: hostCount }, (_, i) => `${dir}/host${i}`);
  const hosts = roots.map((root, i) =>
    staticHosts({ host: `h${i}.example`, hosts: [], user: "ci", port: 22, workRoot: root, sources: {} })[0]
  );
  await Deno.writeTextFile(`${dir}/id_ed25519`, "PRIVATE KEY\n");
  await Deno.writeTextFile(`${dir}/known_hosts`, "");
  const local = new LocalHosts();
  const notes: string[] = [];
  const options: StaticApiOptions = {
    hosts,
    keyFile: `${dir}/id_ed25519`,
    keyMissing: () => new CrabboxError("config", "ssh.key missing"),
    pinFile: `${dir}/pins/known_hosts`,
    configFile: "none",
    connectTimeoutSecs: 5,
    userKnownHosts: [`${dir}/known_hosts`],
    acceptHostKey: false,
    notify: (message) => notes.push(message),
    ...change,
  };
  const deps = { proc: local.proc, fs: realFs, clock: new ManualClock() };
  return {
    dir,
    roots,
    hosts,
    local,
    notes,
    api: () => createStaticApi(deps, options),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

const request = (lease: string) => ({
  name: `crabbox-s-${lease}`,
  serverType: "static",
  image: "",
  sshKeys: [],
  userData: "",
  labels: { crabbox: "true", lease, slug: `s-${lease.slice(-4)}`, state: "provisioning" },
});

Deno.test("static hosts: a create claims the first free host; none free is exit 8 naming each holder", async () => {
  const w = await setup(2);
  w.local.knownHosts = `h0.example ${KEY}\nh1.example ${KEY}\n`;
  try {
    const api = w.api();
    const first = await api.createServer(request("cbx_000000000001"));
    assert.equal(first.server.id, hostId(w.hosts[0]));
    assert.equal(first.server.ipv4, "h0.example");
    assert.equal(first.actionId, null);
    const second = await api.createServer(request("cbx_000000000002"));
    assert.equal(second.server.id, hostId(w.hosts[1]));
    await assert.rejects(api.createServer(request("cbx_000000000003")), (error: CrabboxError) => {
      assert.equal(error.exitCode, 8);
      assert.equal(
        error.message,
        "every static host is leased (ci@h0.example:22 by cbx_000000000001; ci@h1.example:22 by cbx_000000000002)",
      );
      assert.match(error.hint!, /crabbox run --id <lease>/);
      return true;
    });
    // Another process sees the same leases: the record lives on the host.
    const other = w.api();
    const listed = await other.listServers({ labelSelector: "crabbox=true,lease=cbx_000000000002" });
    assert.deepEqual(listed.map((s) => s.name), ["crabbox-s-cbx_000000000002"]);
    assert.equal((await other.listServers({ labelSelector: "crabbox=true" })).length, 2);
  } finally {
    await w.cleanup();
  }
});

Deno.test("static hosts: labels are the host's record; only the holder writes; delete frees the slot and crabbox's files", async () => {
  const w = await setup(1);
  w.local.knownHosts = `h0.example ${KEY}\n`;
  try {
    const api = w.api();
    const { server } = await api.createServer(request("cbx_000000000001"));
    const written = await api.replaceServerLabels(server.id, { ...server.labels, state: "ready" });
    assert.equal(written.labels.state, "ready");
    assert.equal((await w.api().getServer(server.id))!.labels.state, "ready");
    await assert.rejects(
      api.replaceServerLabels(server.id, { ...server.labels, lease: "cbx_000000000009" }),
      (error: CrabboxError) =>
        error.exitCode === 4 && /no longer holds ci@h0\.example:22/.test(error.message),
    );
    await Deno.mkdir(`${w.roots[0]}/cbx_000000000001/repo`, { recursive: true });
    await Deno.writeTextFile(`${w.roots[0]}/owner.txt`, "theirs");
    assert.equal(await api.deleteServer(server.id), "deleted");
    assert.equal(await api.getServer(server.id), null);
    assert.equal(await api.deleteServer(server.id), "gone");
    assert.deepEqual([...Deno.readDirSync(w.roots[0])].map((e) => e.name).sort(), [".crabbox", "owner.txt"]);
    assert.equal(
      (await api.createServer(request("cbx_000000000002"))).server.id,
      server.id,
      "the slot is free",
    );
    assert.deepEqual(await api.boxKeys!(server), { privateKey: "PRIVATE KEY\n", hostPublicKey: KEY });
  } finally {
    await w.cleanup();
  }
});

Deno.test("static hosts: an unknown host key stops before any ssh (exit 2, naming --accept-host-key)", async () => {
  const w = await setup(1);
  try {
    await assert.rejects(w.api().listServers({}), (error: CrabboxError) => {
      assert.equal(error.exitCode, 2);
      assert.match(
        error.message,
        /^the host key of ci@h0\.example:22 is unknown: no ed25519 key for h0\.example in /,
      );
      assert.match(error.hint!, /--accept-host-key/);
      return true;
    });
    assert.deepEqual(w.local.calls, ["ssh-keygen"], "no ssh, no ssh-keyscan without the flag");
  } finally {
    await w.cleanup();
  }
});

Deno.test("static hosts: a key is pinned once, from known_hosts or (with --accept-host-key) ssh-keyscan", async () => {
  const known = await setup(1);
  const scanned = await setup(1, { acceptHostKey: true });
  try {
    known.local.knownHosts = `|1|hashed= ${KEY}\n`;
    await known.api().listServers({});
    assert.match(
      known.notes[0],
      /^pinned the host key of ci@h0\.example:22 \(SHA256:\S+\) from .*known_hosts$/,
    );
    assert.match(
      await Deno.readTextFile(`${known.dir}/pins/known_hosts`),
      /^crabbox-static-[0-9a-f]+ ssh-ed25519 /,
    );
    known.local.calls = [];
    await known.api().listServers({});
    assert.deepEqual(known.local.calls, ["ssh"], "a pinned host is not looked up again");

    scanned.local.keyscan = `h0.example ${KEY}\n`;
    await scanned.api().listServers({});
    assert.deepEqual(
      scanned.local.calls,
      ["ssh-keygen", "ssh-keyscan", "ssh"],
      "known_hosts first, then keyscan",
    );
    assert.match(scanned.notes[0], /from ssh-keyscan \(--accept-host-key\)$/);
  } finally {
    await known.cleanup();
    await scanned.cleanup();
  }
});
