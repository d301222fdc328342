import assert from "node:assert/strict";
import {
  allowEntryProblem,
  type AllowLayers,
  describeForwarded,
  forwardWithAppendedAllow,
  layerEnvAllow,
  selectForwardedEnv,
} from "../../config/env_allow.ts";

const DEFAULTS = ["CI", "NODE_OPTIONS"];

Deno.test("env.allow layers (SPEC §9.4): replace, replace, append, replace", () => {
  const none = { defaults: DEFAULTS, user: null, repo: null, profile: null, env: null };
  const rows: [Partial<AllowLayers>, string[]][] = [
    [{}, ["CI", "NODE_OPTIONS"]],
    [{ user: ["A"] }, ["A"]],
    [{ user: ["A"], repo: ["B"] }, ["B"]],
    [{ repo: [] }, []],
    [{ user: ["A"], profile: ["P"] }, ["A", "P"]],
    [{ user: ["A"], repo: ["B"], profile: ["P", "B"] }, ["B", "P"]],
    [{ profile: ["P"] }, ["CI", "NODE_OPTIONS", "P"]],
    [{ user: ["A"], repo: ["B"], profile: ["P"], env: ["E", "F"] }, ["E", "F"]],
    [{ env: [] }, []],
  ];
  for (const [layers, expected] of rows) {
    assert.deepEqual(layerEnvAllow({ ...none, ...layers }), expected, JSON.stringify(layers));
  }
});

Deno.test("allowlist entries: names or a trailing-* prefix", () => {
  for (const ok of ["CI", "_X", "PROJECT_*", "a1", "P*"]) assert.equal(allowEntryProblem(ok), null, ok);
  const rows: [string, RegExp][] = [
    ["*", /would forward everything/],
    ["A*B", /has a "\*" inside/],
    ["**", /has a "\*" inside/],
    ["1A", /not a valid environment variable name/],
    ["A-B", /not a valid environment variable name/],
    ["", /not a valid environment variable name/],
  ];
  for (const [entry, problem] of rows) assert.match(allowEntryProblem(entry) ?? "", problem, entry);
});

Deno.test("forwarding: exact and prefix matches; only set variables; never the Hetzner token or injected names", () => {
  const env = {
    CI: "true",
    NODE_OPTIONS: "",
    PROJECT_NAME: "web",
    PROJECT_DEPLOY_TOKEN: "s1",
    HCLOUD_TOKEN: "h",
    HETZNER_TOKEN: "h2",
    CRABBOX_RUN_ID: "local",
    ci: "lowercase",
  };
  const allow = ["CI", "NODE_OPTIONS", "MISSING", "PROJECT_*", "HCLOUD_TOKEN", "HETZNER_TOKEN", "CRABBOX_*"];
  const result = selectForwardedEnv(allow, env, new Set(["HCLOUD_TOKEN", "HETZNER_TOKEN"]));
  assert.deepEqual(result.forward, { CI: "true", NODE_OPTIONS: "", PROJECT_NAME: "web" });
  assert.deepEqual(result.warnings, [
    "not forwarding PROJECT_DEPLOY_TOKEN: it looks like a secret; name it exactly in your user config or with --allow-env to send it",
  ]);
});

Deno.test("forwarding: a token-bearing name goes only when named exactly by a human", () => {
  const env = { NPM_TOKEN: "n", GH_PAT: "g" };
  const fromRepoOrEnv = selectForwardedEnv(["NPM_TOKEN", "GH_PAT"], env, new Set());
  assert.deepEqual(fromRepoOrEnv.forward, {});
  assert.equal(fromRepoOrEnv.warnings.length, 2);
  const human = selectForwardedEnv(["NPM_TOKEN", "GH_*"], env, {
    exactFromUserOrFlag: new Set(["NPM_TOKEN", "GH_PAT"]),
  });
  assert.deepEqual(
    human.forward,
    { NPM_TOKEN: "n" },
    "a prefix never forwards a token, even one a human named",
  );
  assert.deepEqual(human.warnings.map((w) => w.split(":")[0]), ["not forwarding GH_PAT"]);
});

Deno.test("describeForwarded prints names and states, never values", () => {
  assert.equal(describeForwarded({ CI: "true", NODE_OPTIONS: "" }, ["CI"]), "CI=set NODE_OPTIONS=empty");
  assert.equal(describeForwarded({}, ["CI", "NODE_OPTIONS"]), "none (allow=CI,NODE_OPTIONS)");
});

Deno.test("appended allow entries follow the config's, and only trusted exact names forward a secret", () => {
  const env = { CI: "1", NPM_TOKEN: "t0ken-value", EXTRA_A: "a" };
  const untrusted = forwardWithAppendedAllow(env, ["CI"], ["NPM_TOKEN", "EXTRA_*"], new Set());
  assert.deepEqual(untrusted.allow, ["CI", "NPM_TOKEN", "EXTRA_*"]);
  assert.deepEqual(untrusted.forward, { CI: "1", EXTRA_A: "a" });
  assert.equal(untrusted.warnings.length, 1);
  const trusted = forwardWithAppendedAllow(env, ["CI"], ["NPM_TOKEN"], new Set(["NPM_TOKEN"]));
  assert.deepEqual(trusted.forward, { CI: "1", NPM_TOKEN: "t0ken-value" });
  assert.deepEqual(trusted.warnings, []);
});
