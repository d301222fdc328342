/** doctor's verdicts (SPEC §13) as pure functions: one observation in, one line with its fix out. */
import assert from "node:assert/strict";
import type { FileInfo } from "../../core/deps.ts";
import {
  apiCheck,
  budgetCheck,
  clockCheck,
  configCheck,
  controlDirCheck,
  endpointCheck,
  leaseFilesCheck,
  locationsCheck,
  orphansCheck,
  parseRemoteProbe,
  remoteCheck,
  renderLine,
  rsyncCheck,
  serverLimitCheck,
  summarize,
  tokenAccessCheck,
  tokenCheck,
  toolCheck,
  typesCheck,
} from "../../lease/doctor_checks.ts";
import type { ServerItem, SweepReport } from "../../lease/sweep.ts";
import type { UsageReport } from "../../lease/usage.ts";

const file = (over: Partial<FileInfo>): FileInfo => ({
  isFile: true,
  isDirectory: false,
  isSymlink: false,
  size: 1,
  mode: 0o100600,
  mtimeMs: 0,
  uid: 1000,
  ...over,
});
const dir = (over: Partial<FileInfo> = {}) =>
  file({ isFile: false, isDirectory: true, mode: 0o40700, ...over });

Deno.test("doctor lines: %-6s %-13s message; the fix follows every warning and failure", () => {
  const ok = toolCheck("git", { path: "/usr/bin/git", output: "git version 2.43.0\n" });
  assert.equal(renderLine(ok), "ok     git           git 2.43.0 (/usr/bin/git)");
  const fail = toolCheck("ssh", { path: null, output: "" });
  assert.equal(
    renderLine(fail),
    "fail   ssh           ssh not found on PATH; fix: install the OpenSSH client (apt install openssh-client / brew install openssh)",
  );
  assert.equal(summarize([ok, clockCheck(60_000)]).ok, true, "a warning is not a failure");
  assert.equal(summarize([ok, fail]).ok, false);
  assert.equal(ok.fix, null);
});

Deno.test("local tools: versions read from each tool, rsync must be GNU 3.2.3 or newer", () => {
  assert.equal(
    toolCheck("ssh", { path: "/usr/bin/ssh", output: "OpenSSH_9.6p1 Ubuntu-3ubuntu13, OpenSSL 3.0.13\n" })
      .message,
    "OpenSSH_9.6p1 (/usr/bin/ssh)",
  );
  assert.equal(toolCheck("ssh-keygen", { path: "/usr/bin/ssh-keygen", output: "" }).status, "ok");
  const rsync = (output: string) => rsyncCheck({ path: "/usr/bin/rsync", output });
  const gnu = rsync("rsync  version 3.2.7  protocol version 31\nCopyright (C) 1996-2022\n");
  assert.equal(gnu.status, "ok");
  assert.equal(gnu.message, "rsync 3.2.7 (protocol 31)");
  assert.equal(rsync("rsync  version 3.2.3  protocol version 31\n").status, "ok", "3.2.3 has --mkpath");
  const old = rsync("rsync  version 3.2.2  protocol version 31\n");
  assert.equal(old.status, "fail");
  assert.match(old.message, /3\.2\.2 is too old/);
  assert.match(old.fix!, /GNU rsync 3\.2\.3/);
  assert.equal(rsync("rsync  version 2.6.9  protocol version 29\n").status, "fail", "macOS's old rsync");
  assert.match(
    rsync("openrsync: protocol version 29\nrsync version 2.6.9 compatible\n").message,
    /openrsync/,
  );
  assert.equal(rsyncCheck({ path: null, output: "" }).status, "fail");
  assert.match(rsync("something else").message, /cannot read/);
});

Deno.test("config: every file's problem, else the merged one; a broad user config mode is a warning", () => {
  const user = { path: "/h/.config/crabbox/config.yaml", kind: "user" as const, exists: true, mode: 0o600 };
  const repo = { path: "/r/.crabbox.yaml", kind: "repo" as const, exists: true, mode: 0o644 };
  const both = configCheck([
    { ...user, problem: "/h/.config/crabbox/config.yaml:2: unknown key ttll" },
    { ...repo, problem: "/r/.crabbox.yaml:5: class must be a string" },
  ], "merge problem hidden behind the files' own");
  assert.equal(both.status, "fail");
  assert.equal(
    both.message,
    "/h/.config/crabbox/config.yaml:2: unknown key ttll; /r/.crabbox.yaml:5: class must be a string",
  );
  assert.deepEqual((both.details.problems as string[]).length, 2);
  assert.equal(
    configCheck([{ ...user, problem: null }], "CRABBOX_TTL: bad duration").message,
    "CRABBOX_TTL: bad duration",
  );
  const broad = configCheck([{ ...user, mode: 0o644, problem: null }], null);
  assert.equal(broad.status, "warn");
  assert.equal(broad.fix, "chmod 600 /h/.config/crabbox/config.yaml");
  const fine = configCheck([{ ...user, problem: null }, { ...repo, problem: null }], null);
  assert.equal(fine.status, "ok", "the repo file may be world-readable: it is committed anyway");
  assert.equal(fine.message, "valid (user /h/.config/crabbox/config.yaml, repo /r/.crabbox.yaml)");
});

Deno.test("token: source and length only, never the value", () => {
  const canary = "canary0token0ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01";
  const set = tokenCheck({ HCLOUD_TOKEN: canary });
  assert.equal(set.message, `HCLOUD_TOKEN set (${canary.length} chars)`);
  assert.ok(!JSON.stringify(set).includes(canary.slice(0, 12)));
  assert.equal(tokenCheck({ HETZNER_TOKEN: "abc" }).message, "HETZNER_TOKEN set (3 chars)");
  assert.equal(tokenCheck({ HCLOUD_TOKEN: "  ", HETZNER_TOKEN: "x" }).details.source, "HETZNER_TOKEN");
  const missing = tokenCheck({});
  assert.equal(missing.status, "fail");
  assert.match(missing.fix!, /^export HCLOUD_TOKEN=/);
});

Deno.test("endpoint: the default, an override with its source, or a refused override", () => {
  assert.equal(
    endpointCheck(null, { endpoint: "https://api.hetzner.cloud/v1" }).message,
    "https://api.hetzner.cloud/v1 (default)",
  );
  const local = endpointCheck({ value: "http://127.0.0.1:8080", source: "HCLOUD_ENDPOINT" }, {
    endpoint: "http://127.0.0.1:8080",
  });
  assert.equal(local.message, "http://127.0.0.1:8080 (HCLOUD_ENDPOINT)");
  const bad = endpointCheck({ value: "http://example.com", source: "HCLOUD_ENDPOINT" }, {
    error: "http only to loopback",
  });
  assert.equal(bad.status, "fail");
  assert.match(bad.fix!, /unset HCLOUD_ENDPOINT/);
});

Deno.test("api: token accepted with counts and rate limit; 401, network and 5xx fail with their fix", () => {
  const ok = apiCheck({ crabboxServers: 3, rateLimit: { limit: 3600, remaining: 3590 } });
  assert.equal(ok.message, "token accepted; 3 crabbox servers; rate limit 3590/3600 left");
  assert.equal(apiCheck({ crabboxServers: 1, rateLimit: null }).message, "token accepted; 1 crabbox server");
  assert.equal(apiCheck({ crabboxServers: 0, rateLimit: { limit: 3600, remaining: 12 } }).status, "warn");
  const unauthorized = apiCheck({
    failure: {
      status: 401,
      code: "unauthorized",
      message: "unable to authenticate",
      correlationId: "c0ffee",
    },
  });
  assert.equal(unauthorized.status, "fail");
  assert.equal(
    unauthorized.message,
    "token not accepted: 401 unauthorized: unable to authenticate (correlation c0ffee)",
  );
  assert.match(unauthorized.fix!, /HCLOUD_TOKEN/);
  const down = apiCheck({
    failure: { status: 0, code: "network_error", message: "connection refused", correlationId: null },
  });
  assert.match(down.fix!, /network and HCLOUD_ENDPOINT/);
  const five = apiCheck({
    failure: { status: 503, code: "unavailable", message: "down", correlationId: "ab12" },
  });
  assert.match(five.message, /^503 unavailable: down \(correlation ab12\)$/);
  assert.match(five.fix!, /correlation id/);
});

Deno.test("token-access: 422 means read/write, token_readonly fails, a created server is reported", () => {
  assert.equal(tokenAccessCheck({ kind: "read_write" }).status, "ok");
  const ro = tokenAccessCheck({ kind: "read_only", status: 401, code: "token_readonly" });
  assert.equal(ro.status, "fail");
  assert.match(ro.message, /^read-only token \(a create was refused with 401 token_readonly\)/);
  assert.match(ro.fix!, /Read & Write/);
  const made = tokenAccessCheck({ kind: "created", serverId: 42 });
  assert.equal(made.status, "fail");
  assert.match(made.fix!, /delete server 42/);
  const unknown = tokenAccessCheck({
    failure: { status: 503, code: "unavailable", message: "try later", correlationId: null },
  });
  assert.equal(unknown.status, "warn");
});

Deno.test("clock: within 30 s is ok; more is a warning saying which way", () => {
  assert.equal(clockCheck(0).status, "ok");
  assert.equal(clockCheck(-30_000).status, "ok");
  const behind = clockCheck(252_000);
  assert.equal(behind.status, "warn");
  assert.equal(behind.message, "local clock 4m12s behind Hetzner (labels use Hetzner time)");
  assert.match(clockCheck(-3_600_000).message, /^local clock 1h ahead of Hetzner/);
  assert.equal(behind.details.skewMs, 252_000);
});

Deno.test("types and locations: unknown or deprecated entries warn; none usable fails", () => {
  const types = [
    { name: "ccx63", deprecated: false, architecture: "x86", prices: [] },
    { name: "ccx53", deprecated: true, architecture: "x86", prices: [] },
  ];
  assert.equal(typesCheck(["ccx63"], types).status, "ok");
  const mixed = typesCheck(["ccx63", "ccx53", "cx99"], types);
  assert.equal(mixed.status, "warn");
  assert.equal(mixed.message, "unknown: cx99; deprecated: ccx53 (skipped when leasing)");
  assert.equal(typesCheck(["cx99"], types).status, "fail");
  const locations = [{ name: "fsn1" }, { name: "nbg1" }];
  assert.equal(locationsCheck(["fsn1", "nbg1"], locations).status, "ok");
  assert.equal(locationsCheck(["fsn1", "ash"], locations).message, "unknown: ash");
  assert.equal(locationsCheck(["ash"], locations).status, "fail");
});

Deno.test("orphans: what the sweep's own dry run would delete, with reasons; keep boxes are counted", () => {
  const item = (over: Partial<ServerItem>): ServerItem => ({
    id: 1,
    name: "crabbox-a",
    lease: "cbx_000000000001",
    slug: "a",
    state: "ready",
    keep: false,
    owner: null,
    expiresAt: null,
    decision: "skip",
    reason: "not_expired",
    result: "skipped",
    error: null,
    overdueMs: null,
    ...over,
  });
  const report = (servers: ServerItem[], keys: SweepReport["sshKeys"] = []): SweepReport => ({
    dryRun: true,
    now: "2026-05-01T12:00:00Z",
    graceSecs: 3600,
    servers,
    sshKeys: keys,
    networks: [],
    firewalls: [],
    local: { pruned: [] },
    checkpoints: [],
    summary: { deleted: 0, skipped: 0, failed: 0 },
  });
  const clean = orphansCheck(report([item({}), item({ id: 2, keep: true, reason: "keep_within_ttl" })]));
  assert.equal(clean.status, "ok");
  assert.equal(clean.message, "nothing a sweep would delete; 1 keep=true box within ttl");
  const dirty = orphansCheck(report(
    [item({ decision: "delete", reason: "expired", result: "would_delete", overdueMs: 600_000 })],
    [{
      id: 9,
      name: "crabbox-cbx-000000000009",
      lease: "cbx_000000000009",
      reason: "orphaned",
      result: "would_delete",
      error: null,
    }],
  ));
  assert.equal(dirty.status, "warn");
  assert.equal(
    dirty.message,
    "1 server eligible for sweep (crabbox-a: expired 10m ago) and 1 orphaned ssh key (crabbox-cbx-000000000009)",
  );
  assert.match(dirty.fix!, /^run: crabbox sweep/);
  assert.equal((dirty.details.sshKeys as unknown[]).length, 1);
});

Deno.test("server limit: the count is reported; the API has no limit to show", () => {
  const check = serverLimitCheck(7, 2);
  assert.equal(check.status, "ok");
  assert.match(check.message, /^7 servers in the project \(2 by crabbox\)/);
  assert.equal(check.details.limit, null);
});

Deno.test("budget: unset is ok with the figures; at a limit or with unknown prices a warning with the fix", () => {
  const usage = (boxes: number, priceHourly: number, unpriced = 0): UsageReport => ({
    scope: "owner",
    owner: "alice_laptop",
    currency: "EUR",
    priceBasis: "net",
    boxes: Array.from({ length: boxes }, (_, i) => ({
      id: `cbx_00000000000${i}`,
      slug: `crab-${i}`,
      serverId: i,
      owner: "alice_laptop",
      state: "ready",
      serverType: "ccx13",
      location: "fsn1",
      createdAt: "2026-05-01T12:00:00Z",
      priceHourly: priceHourly / boxes,
      costSoFar: priceHourly / boxes,
      sweep: "skip" as const,
      why: "not_expired" as const,
      sweepAt: "2026-05-01T12:30:00Z",
    })),
    totals: { boxes, priceHourly, costSoFar: priceHourly, unpriced },
  });
  const policy = (maxActive: number, maxHourly: number) => ({
    maxActive,
    maxHourly,
    scope: "owner" as const,
    graceSecs: 3600,
  });
  const rows: [string, ReturnType<typeof budgetCheck>, "ok" | "warn", RegExp][] = [
    [
      "no budget",
      budgetCheck(policy(0, 0), usage(1, 0.02)),
      "ok",
      /^no budget set \(budget\.maxActive, budget\.maxHourly\); 1 box alive \(owner alice_laptop\) at €0\.0200\/h, €0\.0200 so far \(net, estimate\)$/,
    ],
    [
      "room left",
      budgetCheck(policy(3, 1), usage(2, 0.04)),
      "ok",
      /^maxActive 3, maxHourly €1\.00\/h: 2 boxes alive/,
    ],
    ["full", budgetCheck(policy(2, 0), usage(2, 0.04)), "warn", /; the next create is refused \(exit 8\)$/],
    ["hourly spent", budgetCheck(policy(0, 0.04), usage(2, 0.04)), "warn", /the next create is refused/],
    ["unknown prices", budgetCheck(policy(0, 1), usage(2, 0, 2)), "warn", /2 of unknown price not counted$/],
  ];
  for (const [label, check, status, message] of rows) {
    assert.equal(check.status, status, label);
    assert.match(check.message, message, label);
    assert.equal(check.fix === null, status === "ok", label);
  }
  assert.match(
    budgetCheck(policy(2, 0), usage(2, 0.04)).fix!,
    /^crabbox stop crab-0 frees €0\.0200\/h; crabbox stop crab-1 /,
  );
});

Deno.test("lease files: private keys must be 0600 (ssh refuses others), dirs 0700, no symlinks", () => {
  const base = "/h/.config/crabbox/leases/cbx_000000000001";
  const good = [
    { path: "/h/.config/crabbox", role: "config-dir" as const, info: dir() },
    { path: base, role: "lease-dir" as const, info: dir() },
    { path: `${base}/id_ed25519`, role: "private-key" as const, info: file({}) },
    { path: `${base}/id_ed25519.pub`, role: "public-key" as const, info: file({ mode: 0o100644 }) },
  ];
  const ok = leaseFilesCheck(good, 1000, []);
  assert.equal(ok.status, "ok");
  assert.equal(ok.message, "4 paths checked (1 lease dir); modes private, no symlinks");
  const broadKey = leaseFilesCheck(
    good.map((f) => f.role === "private-key" ? { ...f, info: file({ mode: 0o100644 }) } : f),
    1000,
    null,
  );
  assert.equal(broadKey.status, "fail");
  assert.equal(broadKey.message, `${base}/id_ed25519 has mode 644; it must be 600`);
  assert.equal(broadKey.fix, `chmod 600 ${base}/id_ed25519`);
  const broadDir = leaseFilesCheck(
    good.map((f) => f.role === "lease-dir" ? { ...f, info: dir({ mode: 0o40755 }) } : f),
    1000,
    null,
  );
  assert.equal(broadDir.status, "warn");
  assert.equal(broadDir.fix, `chmod 700 ${base}`);
  const link = leaseFilesCheck(
    [{ path: "/h/.config/crabbox", role: "config-dir", info: dir({ isSymlink: true, isDirectory: false }) }],
    1000,
    null,
  );
  assert.equal(link.status, "fail");
  assert.match(link.message, /is a symlink/);
  const foreign = leaseFilesCheck([{ path: base, role: "lease-dir", info: dir({ uid: 0 }) }], 1000, null);
  assert.match(foreign.message, /owned by uid 0, not by you \(uid 1000\)/);
  const stale = leaseFilesCheck(good, 1000, ["cbx_000000000001"]);
  assert.equal(stale.status, "warn");
  assert.match(stale.message, /^1 local lease dir without a server \(cbx_000000000001\)$/);
  assert.equal(leaseFilesCheck([], 1000, null).message, "no config, state or lease files yet");
});

Deno.test("control-socket dir: lease/box.ts's rule decides; missing is fine; multiplexing off skips", () => {
  const input = {
    dir: "/run/user/1000/crabbox",
    info: null,
    controlPersistSecs: 600,
    problem: null,
    socketPathFits: true,
  };
  assert.equal(controlDirCheck(input).message, "/run/user/1000/crabbox (created mode 700 on first use)");
  assert.equal(controlDirCheck({ ...input, info: dir() }).message, "/run/user/1000/crabbox (ours, mode 700)");
  const bad = controlDirCheck({
    ...input,
    info: dir({ mode: 0o40755 }),
    problem: { message: "… has mode 755; it must be 700", hint: "chmod 700 /run/user/1000/crabbox" },
  });
  assert.equal(bad.status, "fail");
  assert.equal(bad.fix, "chmod 700 /run/user/1000/crabbox");
  assert.equal(controlDirCheck({ ...input, socketPathFits: false }).status, "warn");
  assert.equal(controlDirCheck({ ...input, controlPersistSecs: 0 }).status, "skip");
});

Deno.test("remote: user, work root, disk and git from the probe's lines", () => {
  const probe = parseRemoteProbe(
    "user=crabbox\nworkroot=writable\ndisk_total_kb=41943040\ndisk_free_kb=20971520\ngit=git version 2.43.0\nrsync=rsync version 3.2.7 (protocol 31)\nready=yes\nnoise\n",
  );
  assert.equal(probe.user, "crabbox");
  const ok = remoteCheck({ destination: "crabbox@203.0.113.7:2222", workRoot: "/work/crabbox", probe });
  assert.equal(ok.status, "ok");
  assert.equal(
    ok.message,
    "crabbox@203.0.113.7:2222: user crabbox, /work/crabbox writable, 20.0 GiB free of 40.0 GiB, git version 2.43.0, rsync version 3.2.7 (protocol 31)",
  );
  const low = remoteCheck({ destination: "d", workRoot: "/w", probe: { ...probe, disk_free_kb: "1024" } });
  assert.equal(low.status, "warn");
  const broken = remoteCheck({
    destination: "d",
    workRoot: "/w",
    probe: { ...probe, workroot: "missing", git: "", ready: "no" },
  });
  assert.equal(broken.status, "fail");
  assert.equal(
    broken.message,
    "box not ready (crabbox-ready: no); work root /w is missing; git missing on the box",
  );
  const gone = remoteCheck({
    unreachable: "ssh to crabbox@d failed (closed)",
    fix: "check the box: crabbox status x",
  });
  assert.equal(
    renderLine(gone),
    "fail   remote        ssh to crabbox@d failed (closed); fix: check the box: crabbox status x",
  );
});
