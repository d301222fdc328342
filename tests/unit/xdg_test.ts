/** core/xdg.ts: each XDG variable is honoured when absolute and ignored when relative or empty. */
import assert from "node:assert/strict";
import { configDir, runtimeDir, stateDir } from "../../core/xdg.ts";

const deps = (vars: Record<string, string>) => ({
  env: { get: (name: string) => vars[name] },
  system: { homeDir: () => "/home/u" },
});

const ROWS: [string, Record<string, string>, string, string, string | null][] = [
  // name, env, configDir, stateDir, runtimeDir
  ["unset", {}, "/home/u/.config/crabbox", "/home/u/.local/state/crabbox", null],
  [
    "absolute",
    { XDG_CONFIG_HOME: "/c", XDG_STATE_HOME: "/s", XDG_RUNTIME_DIR: "/run/user/1" },
    "/c/crabbox",
    "/s/crabbox",
    "/run/user/1",
  ],
  [
    "relative",
    { XDG_CONFIG_HOME: "c", XDG_STATE_HOME: "s", XDG_RUNTIME_DIR: "r" },
    "/home/u/.config/crabbox",
    "/home/u/.local/state/crabbox",
    null,
  ],
  [
    "empty",
    { XDG_CONFIG_HOME: "", XDG_STATE_HOME: "", XDG_RUNTIME_DIR: "" },
    "/home/u/.config/crabbox",
    "/home/u/.local/state/crabbox",
    null,
  ],
];

for (const [name, vars, config, state, runtime] of ROWS) {
  Deno.test(`xdg paths: ${name}`, () => {
    assert.equal(configDir(deps(vars)), config);
    assert.equal(stateDir(deps(vars)), state);
    assert.equal(runtimeDir(deps(vars)), runtime);
  });
}
