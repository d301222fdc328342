/** provider ssh's pure rules: hosts from config, slot ids, selectors, host-key lines; lease.sh under bash. */
import assert from "node:assert/strict";
import { CrabboxError } from "../../core/errors.ts";
import { describeHost, hostId, hostKeyAlias, staticHosts } from "../../providers/static/hosts.ts";
import { matchesSelector } from "../../providers/static/selector.ts";
import { ed25519KeyIn, fingerprint, knownHostsName } from "../../providers/static/host_keys.ts";
import { createStaticApi } from "../../providers/static/api.ts";
import { termsOf } from "../../providers/hetzner/terms.ts";
import type { ProviderTerms, Server } from "../../providers/hetzner/port.ts";
import leaseScript from "../../providers/static/scripts/lease.sh" with { type: "text" };

const input = { host: "", hosts: [] as string[], user: "ci", port: 22, workRoot: "/srv/cbx", sources: {} };

Deno.test("static hosts: static.host first, then static.hosts, without repeats; none or a bad one is exit 2", () => {
  const hosts = staticHosts({ ...input, host: "a.example", hosts: ["b.example", "a.example", " "] });
  assert.deepEqual(hosts.map(describeHost), ["ci@a.example:22", "ci@b.example:22"]);
  assert.deepEqual(staticHosts({ ...input, host: "[2001:db8::1]" })[0].host, "2001:db8::1");
  const rows: [Partial<typeof input>, RegExp][] = [
    [{}, /^provider ssh needs a host: static\.host is not set$/],
    [{ host: "a b" }, /^static\.host: "a b" is not a host name or address/],
    [{ hosts: ["ok.example", "user@x"] }, /^static\.hosts: "user@x" is not a host name/],
  ];
  for (const [change, message] of rows) {
    assert.throws(() => staticHosts({ ...input, ...change }), (error: CrabboxError) => {
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      assert.ok(error.hint, "every refusal says what to do");
      return true;
    });
  }
});

Deno.test("static hosts: a slot's id is stable, positive and differs by host, user, port and work root", () => {
  const [a] = staticHosts({ ...input, host: "a.example" });
  assert.equal(hostId(a), hostId({ ...a }));
  assert.ok(hostId(a) > 0 && hostId(a) <= 0x7fffffff);
  const others = [{ ...a, host: "b.example" }, { ...a, user: "root" }, { ...a, port: 2222 }, {
    ...a,
    workRoot: "/w",
  }];
  for (const other of others) assert.notEqual(hostId(other), hostId(a), JSON.stringify(other));
  assert.match(hostKeyAlias(a), /^crabbox-static-[0-9a-f]+$/);
});

Deno.test("selectors: k=v, k!=v, k and !k joined by commas, as crabbox sends them", () => {
  const labels = { crabbox: "true", lease: "cbx_000000000001", slug: "blue-crab" };
  const rows: [string | undefined, boolean][] = [
    [undefined, true],
    ["crabbox=true", true],
    ["crabbox=true,lease=cbx_000000000001", true],
    ["crabbox=true,lease=cbx_000000000002", false],
    ["crabbox==true", true],
    ["slug!=blue-crab", false],
    ["pool!=x", true],
    ["slug", true],
    ["!pool", true],
    ["!slug", false],
    ["pool=default", false],
  ];
  for (const [selector, expected] of rows) {
    assert.equal(matchesSelector(selector, labels), expected, selector);
  }
});

Deno.test("host keys: the ed25519 entry of known_hosts or keyscan output, OpenSSH's name and fingerprint", async () => {
  const key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
  const text = `# comment\n10.0.0.1 ssh-rsa AAAAB3Nza\n10.0.0.1 ssh-ed25519 ${key}\n`;
  assert.equal(ed25519KeyIn(text), `ssh-ed25519 ${key}`);
  assert.equal(ed25519KeyIn(text, "other"), null);
  assert.equal(ed25519KeyIn(`alias ssh-ed25519 ${key}\n`, "alias"), `ssh-ed25519 ${key}`);
  assert.equal(ed25519KeyIn("10.0.0.1 ssh-ed25519 not;base64\n"), null);
  const host = staticHosts({ ...input, host: "h.example" })[0];
  assert.equal(knownHostsName(host), "h.example");
  assert.equal(knownHostsName({ ...host, port: 2222 }), "[h.example]:2222");
  // The same fingerprint ssh-keygen -l prints.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/k.pub`, `ssh-ed25519 ${key}\n`);
    const out = await new Deno.Command("ssh-keygen", { args: ["-lf", `${dir}/k.pub`], stdout: "piped" })
      .output();
    assert.equal(new TextDecoder().decode(out.stdout).split(" ")[1], fingerprint(`ssh-ed25519 ${key}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function lease(root: string, args: string[], stdin = ""): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("bash", {
    args: ["-c", leaseScript, "crabbox-remote", args[0], root, ...args.slice(1)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const result = await child.output();
  return { code: result.code, out: new TextDecoder().decode(result.stdout).trim() };
}

Deno.test("lease.sh: one lease per slot; write and release only by its holder; release keeps the host's files", async () => {
  const root = await Deno.makeTempDir();
  const a = "cbx_00000000000a";
  const b = "cbx_00000000000b";
  try {
    assert.deepEqual(await lease(root, ["read"]), { code: 0, out: "" });
    assert.deepEqual(await lease(root, ["claim", a], '{"lease":"a"}'), { code: 0, out: "CLAIMED" });
    assert.deepEqual(await lease(root, ["claim", b], '{"lease":"b"}'), { code: 0, out: `BUSY ${a}` });
    assert.deepEqual(await lease(root, ["read"]), { code: 0, out: '{"lease":"a"}' });
    assert.deepEqual(await lease(root, ["write", b], "{}"), { code: 0, out: "GONE" });
    assert.deepEqual(await lease(root, ["write", a], '{"lease":"a","v":2}'), { code: 0, out: "WRITTEN" });
    assert.deepEqual(await lease(root, ["read"]), { code: 0, out: '{"lease":"a","v":2}' });
    for (const dir of [`${a}/repo`, ".crabbox/sync/repo", ".crabbox/runs", ".crabbox/env", "theirs"]) {
      await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    }
    await Deno.writeTextFile(`${root}/notes.txt`, "keep");
    assert.deepEqual(await lease(root, ["release", b]), { code: 0, out: "GONE" });
    assert.equal((await Deno.stat(`${root}/${a}`)).isDirectory, true, "a non-holder removes nothing");
    assert.deepEqual(await lease(root, ["release", a]), { code: 0, out: "RELEASED" });
    const left = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(left, [".crabbox", "notes.txt", "theirs"]);
    assert.deepEqual([...Deno.readDirSync(`${root}/.crabbox`)].map((e) => e.name), ["lease.lock"]);
    assert.deepEqual(await lease(root, ["claim", b], '{"lease":"b"}'), { code: 0, out: "CLAIMED" });
    assert.equal((await lease(root, ["release", "../etc"])).code, 64, "only a lease id is ever removed");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("provider terms: static hosts claim and free slots, labelled ssh; Hetzner's words are the default", () => {
  const hosts = staticHosts({ ...input, host: "a.example" });
  const api = createStaticApi({} as never, { hosts } as never);
  const id = hostId(hosts[0]);
  const server = { id, name: "crabbox-s-1234" } as Server;
  const rows: [ProviderTerms, string, string, string, string, string][] = [
    [
      termsOf(api),
      "ssh",
      "static host ci@a.example:22",
      "leases",
      "freed",
      "claimed static host ci@a.example:22 for crabbox-s-1234",
    ],
    [
      termsOf({}),
      "hetzner",
      `server ${id}`,
      "servers",
      "deleted",
      `created server ${id} crabbox-s-1234 type=cx22 location=auto`,
    ],
  ];
  for (const [terms, label, named, plural, deleted, created] of rows) {
    assert.equal(terms.label, label);
    assert.equal(terms.server(id), named);
    assert.equal(terms.servers(2), plural);
    assert.equal(terms.verbs.deleted, deleted);
    assert.equal(terms.created(server, "cx22", null), created);
  }
  assert.equal(termsOf(api).server(7), "static host 7", "a slot no longer configured");
  assert.deepEqual([termsOf(api).priced, termsOf({}).priced], [false, true], "no price line for a host");
});
