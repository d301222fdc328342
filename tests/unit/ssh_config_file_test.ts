/** ssh.configFile → ssh -F: "none" stays, ~/ is expanded, a missing file is a config error (exit 2). */
import assert from "node:assert/strict";
import { CrabboxError } from "../../core/errors.ts";
import { sshConfigFileFor } from "../../lease/shape.ts";
import type { FileSystem } from "../../core/deps.ts";

const system = { homeDir: () => "/home/u" } as never;
const fsWith = (present: string[]) =>
  ({ lstat: (path: string) => Promise.resolve(present.includes(path) ? {} : null) }) as unknown as FileSystem;

const ROWS: [string, string, string[], string | RegExp][] = [
  ["none", "none", [], "none"],
  ["home-relative", "~/.ssh/config", ["/home/u/.ssh/config"], "/home/u/.ssh/config"],
  ["absolute", "/etc/ssh/jump.conf", ["/etc/ssh/jump.conf"], "/etc/ssh/jump.conf"],
  ["missing", "~/.ssh/nope", [], /^ssh\.configFile ~\/\.ssh\/nope: no such file$/],
];

for (const [name, value, present, expected] of ROWS) {
  Deno.test(`ssh.configFile: ${name}`, async () => {
    const deps = { system, fs: fsWith(present) };
    if (typeof expected === "string") {
      assert.equal(await sshConfigFileFor(deps, value), expected);
    } else {
      const error = await sshConfigFileFor(deps, value).catch((e) => e);
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, expected);
    }
  });
}

Deno.test("ssh.configFile: without fs (doctor) the path is only expanded", async () => {
  assert.equal(await sshConfigFileFor({ system }, "~/x"), "/home/u/x");
});
