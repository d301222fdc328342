/** doctor under provider ssh: each static check's verdict, row by row (status, message, fix). */
import assert from "node:assert/strict";
import type { CheckResult } from "../../lease/doctor_checks.ts";
import {
  staticConfigCheck,
  staticHostCheck,
  staticLeaseCheck,
  staticToolsCheck,
  staticWorkRootCheck,
} from "../../lease/doctor_static_checks.ts";

const H = "ci@build1:22";
type Row = [string, CheckResult, "ok" | "warn" | "fail", RegExp, RegExp | null];

function check([name, got, status, message, fix]: Row) {
  assert.equal(got.status, status, `${name}: ${got.message}`);
  assert.match(got.message, message, name);
  if (fix) assert.match(got.fix ?? "", fix, name);
  else assert.equal(got.fix, null, name);
}

Deno.test("doctor static-config: hosts, ssh.key present and private", () => {
  const base = {
    hosts: [H, "ci@build2:22"],
    problem: null,
    keyFile: "/home/u/.ssh/id_ed25519",
    key: 0o600,
    keySource: "default",
    workRoot: "/srv/cbx",
  };
  const rows: Row[] = [
    [
      "ok",
      staticConfigCheck(base),
      "ok",
      /^provider ssh: 2 hosts \(ci@build1:22, ci@build2:22\), key \/home\/u\/\.ssh\/id_ed25519 \(0600\), work root \/srv\/cbx$/,
      null,
    ],
    [
      "no host",
      staticConfigCheck({
        ...base,
        hosts: null,
        problem: { message: "provider ssh needs a host: static.host is not set", hint: "set static.host" },
      }),
      "fail",
      /static\.host is not set/,
      /^set static\.host$/,
    ],
    [
      "key missing",
      staticConfigCheck({ ...base, key: "missing" }),
      "fail",
      /does not exist \(default\)/,
      /ssh\.key/,
    ],
    [
      "key a directory",
      staticConfigCheck({ ...base, key: "not-a-file" }),
      "fail",
      /is not a file/,
      /ssh\.key/,
    ],
    [
      "key readable by others",
      staticConfigCheck({ ...base, key: 0o644 }),
      "fail",
      /mode 0644/,
      /^chmod 600 /,
    ],
    ["key group-readable", staticConfigCheck({ ...base, key: 0o640 }), "fail", /mode 0640/, /chmod 600/],
    ["key 0400", staticConfigCheck({ ...base, key: 0o400 }), "ok", /\(0400\)/, null],
  ];
  rows.forEach(check);
});

Deno.test("doctor static-host: host key known or not, ssh in or why not", () => {
  const pinned = { from: "pinned" as const, fingerprint: "SHA256:abc" };
  const known = { from: "known_hosts" as const, file: "/home/u/.ssh/known_hosts", fingerprint: "SHA256:abc" };
  const pinFile = "/home/u/.config/crabbox/static/known_hosts";
  const failed = (stderr: string) => ({ ok: false as const, code: 255, stderr });
  const rows: Row[] = [
    [
      "pinned, in",
      staticHostCheck({ host: H, hostKey: pinned, pinFile, ssh: { ok: true } }),
      "ok",
      /^ci@build1:22: reachable over ssh, host key pinned \(SHA256:abc\)$/,
      null,
    ],
    [
      "known_hosts, in",
      staticHostCheck({ host: H, hostKey: known, pinFile, ssh: { ok: true } }),
      "ok",
      /host key from \/home\/u\/\.ssh\/known_hosts \(SHA256:abc; pinned on first use\)/,
      null,
    ],
    [
      "unknown key",
      staticHostCheck({ host: H, hostKey: { from: "unknown", looked: ["/k"] }, pinFile, ssh: null }),
      "fail",
      /host key unknown \(not pinned, not in \/k\)/,
      /--accept-host-key/,
    ],
    [
      "changed key",
      staticHostCheck({ host: H, hostKey: pinned, pinFile, ssh: failed("Host key verification failed.") }),
      "fail",
      /does not match the pinned one/,
      /remove its line from .*static\/known_hosts/,
    ],
    [
      "key refused",
      staticHostCheck({
        host: H,
        hostKey: pinned,
        pinFile,
        ssh: failed("root@x: Permission denied (publickey)."),
      }),
      "fail",
      /ssh\.key was refused/,
      /authorized_keys/,
    ],
    [
      "down",
      staticHostCheck({
        host: H,
        hostKey: pinned,
        pinFile,
        ssh: failed("ssh: connect to host build1 port 22: Connection refused"),
      }),
      "fail",
      /ssh failed \(exit 255: ssh: connect to host build1 port 22: Connection refused\)/,
      /static\.host\/static\.port/,
    ],
  ];
  rows.forEach(check);
});

Deno.test("doctor static-tools and static-root: what the host has and may write", () => {
  const all = { tool_bash: "yes", tool_flock: "yes", tool_rsync: "yes", tool_git: "yes", user: "ci" };
  const rows: Row[] = [
    ["all tools", staticToolsCheck(H, all), "ok", /^ci@build1:22: bash, flock, rsync, git$/, null],
    [
      "missing",
      staticToolsCheck(H, { ...all, tool_flock: "no", tool_rsync: "no" }),
      "fail",
      /^ci@build1:22 lacks flock, rsync$/,
      /install flock, rsync/,
    ],
    ["no answer", staticToolsCheck(H, {}), "fail", /lacks bash, flock, rsync, git/, /install/],
    [
      "writable",
      staticWorkRootCheck(H, "/srv/cbx", { ...all, workroot: "writable" }),
      "ok",
      /\/srv\/cbx writable by ci/,
      null,
    ],
    [
      "creatable",
      staticWorkRootCheck(H, "/srv/cbx", { ...all, workroot: "creatable" }),
      "ok",
      /will be created by ci/,
      null,
    ],
    [
      "read-only",
      staticWorkRootCheck(H, "/srv/cbx", { ...all, workroot: "read-only" }),
      "fail",
      /\/srv\/cbx is read-only for ci/,
      /install -d -o ci \/srv\/cbx/,
    ],
    [
      "not creatable",
      staticWorkRootCheck(H, "/srv/cbx", { ...all, workroot: "not-creatable" }),
      "fail",
      /is not-creatable/,
      /static\.workRoot/,
    ],
  ];
  rows.forEach(check);
});

Deno.test("doctor static-lease: free, held until when, expired, or not crabbox's", () => {
  const NOW = 2_000_000_000_000;
  const labels = (extra: Record<string, string>) => ({
    crabbox: "true",
    created_by: "crabbox",
    provider: "ssh",
    lease: "cbx_0123456789ab",
    slug: "violet-prawn",
    owner: "alice_laptop",
    keep: "false",
    state: "ready",
    ttl_secs: "5400",
    ...extra,
  });
  const record = (extra: Record<string, string>, createdMs = NOW - 60_000) =>
    JSON.stringify({
      lease: "cbx_0123456789ab",
      name: "crabbox-violet-prawn",
      createdMs,
      labels: labels(extra),
    });
  const lease = (text: string) => staticLeaseCheck({ host: H, record: text, nowMs: NOW, graceSecs: 3600 });
  const rows: Row[] = [
    ["free", lease(""), "ok", /^ci@build1:22: free$/, null],
    [
      "held",
      lease(record({ expires_at: String(NOW / 1000 + 1200) })),
      "ok",
      /^ci@build1:22: leased by cbx_0123456789ab \(slug violet-prawn, owner alice_laptop, state ready\), expires in 20m/,
      null,
    ],
    [
      "expired",
      lease(record({ expires_at: String(NOW / 1000 - 180) })),
      "warn",
      /leased by cbx_0123456789ab .*, expired 3m/,
      /crabbox stop cbx_0123456789ab/,
    ],
    [
      "old provider label still crabbox's",
      lease(record({ provider: "hetzner", expires_at: String(NOW / 1000 - 180) })),
      "warn",
      /expired/,
      /sweep frees it/,
    ],
    [
      "foreign",
      lease(record({ created_by: "someone" })),
      "warn",
      /not a crabbox lease record/,
      /lease\.json/,
    ],
    ["garbage", lease("{not json"), "fail", /not JSON/, /lease\.json/],
  ];
  rows.forEach(check);
});
