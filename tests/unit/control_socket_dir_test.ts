/** SPEC §9.3: the control-socket directory is a real directory of ours with mode 0700, or nothing runs. */
import assert from "node:assert/strict";
import type { FileInfo, FileSystem } from "../../core/deps.ts";
import { CrabboxError } from "../../core/errors.ts";
import { prepareControlSocketDir } from "../../lease/box.ts";
import { knownHostsLine, leasePaths, pinHostKey } from "../../lease/store.ts";
import { realFs } from "../../core/runtime.ts";
import { memoryEnv as env, system } from "./config_testdata/fakes.ts";

const DIR = "/run/user/1000/crabbox";
const dirInfo = (over: Partial<FileInfo>): FileInfo => ({
  isFile: false,
  isDirectory: true,
  isSymlink: false,
  size: 0,
  mode: 0o40700,
  mtimeMs: 0,
  uid: 1000,
  ...over,
});

function fsWith(info: FileInfo | null, made: string[]): FileSystem {
  return {
    ...realFs,
    lstat: () => Promise.resolve(info),
    mkdir: (path, options) => {
      made.push(`${path} ${(options?.mode ?? 0).toString(8)}`);
      return Promise.resolve();
    },
  };
}

Deno.test("control-socket directory: created 0700 when missing, refused unless ours and private", async () => {
  const rows: [string, FileInfo | null, RegExp | null][] = [
    ["missing: created", null, null],
    ["ours, 0700", dirInfo({}), null],
    ["symlink", dirInfo({ isSymlink: true, isDirectory: false }), /is not a real directory/],
    ["a file", dirInfo({ isFile: true, isDirectory: false }), /is not a real directory/],
    ["another user's", dirInfo({ uid: 0 }), /is owned by uid 0, not by you \(uid 1000\)/],
    ["group-readable", dirInfo({ mode: 0o40750 }), /has mode 750; it must be 700/],
    ["world-writable", dirInfo({ mode: 0o40777 }), /has mode 777; it must be 700/],
  ];
  for (const [name, info, refusal] of rows) {
    const made: string[] = [];
    const deps = { env: env({ XDG_RUNTIME_DIR: "/run/user/1000" }), fs: fsWith(info, made), system };
    const attempt = prepareControlSocketDir(deps);
    if (refusal) {
      await assert.rejects(attempt, (error: unknown) => {
        assert.ok(error instanceof CrabboxError, name);
        assert.equal(error.exitCode, 2, name);
        assert.match(error.message, refusal, name);
        assert.ok(error.message.includes(DIR), name);
        return true;
      });
    } else {
      await attempt;
    }
    assert.deepEqual(made, info ? [] : [`${DIR} 700`], name);
  }
});

Deno.test("pinHostKey writes known_hosts from the stored host key once, and never overwrites it", async () => {
  const home = await Deno.makeTempDir({ prefix: "crabbox-pin-" });
  try {
    const deps = {
      env: env({ XDG_CONFIG_HOME: `${home}/config`, XDG_STATE_HOME: `${home}/state` }),
      fs: realFs,
      system,
    };
    const leaseId = "cbx_0123456789ab";
    const paths = leasePaths(deps, leaseId);
    await Deno.mkdir(paths.dir, { recursive: true });
    await pinHostKey(deps, leaseId);
    assert.equal(await realFs.lstat(paths.knownHosts), null, "no host key, nothing to pin");
    await Deno.writeTextFile(paths.hostPub, "ssh-ed25519 AAAAC3Nza host\n");
    await pinHostKey(deps, leaseId);
    assert.equal(await Deno.readTextFile(paths.knownHosts), "cbx_0123456789ab ssh-ed25519 AAAAC3Nza\n");
    assert.equal((await Deno.stat(paths.knownHosts)).mode! & 0o777, 0o600);
    await Deno.writeTextFile(paths.hostPub, "ssh-ed25519 OTHER host\n");
    await pinHostKey(deps, leaseId);
    assert.equal(await Deno.readTextFile(paths.knownHosts), knownHostsLine(leaseId, "ssh-ed25519 AAAAC3Nza"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
