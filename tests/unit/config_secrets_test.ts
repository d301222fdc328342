import assert from "node:assert/strict";
import { isTokenBearingName, looksLikeSecretValue, secretKeyProblem } from "../../config/secrets.ts";
import { validateFile } from "../../config/validate.ts";
import { CrabboxError } from "../../core/errors.ts";

// Built at run time so no literal secret-shaped string sits in the source.
const SECRETS: [string, string][] = [
  ["a".repeat(32) + "B7".repeat(16), "a 64-character token (Hetzner token shape)"],
  ["-----BEGIN OPENSSH " + "PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", "a PEM private key"],
  ["-----BEGIN " + "PRIVATE KEY-----", "a PEM private key"],
  ["ghp" + "_" + "x".repeat(36), "a GitHub token (ghp_/gho_/ghs_/github_pat_)"],
  ["gho" + "_abc", "a GitHub token (ghp_/gho_/ghs_/github_pat_)"],
  ["ghs" + "_abc", "a GitHub token (ghp_/gho_/ghs_/github_pat_)"],
  ["github_pat" + "_11ABCDEF", "a GitHub token (ghp_/gho_/ghs_/github_pat_)"],
  ["xoxb" + "-1234-abcd", "a Slack token (xox…-)"],
  ["xoxp" + "-1234", "a Slack token (xox…-)"],
  ["AKIA" + "ABCDEFGHIJKLMNOP", "an AWS access key id (AKIA…)"],
  ["sk" + "-" + "a".repeat(20), "an API secret key (sk-…)"],
  ["Bearer " + "abc.def", "a bearer token (Bearer …)"],
  ["curl -H 'Authorization: Bearer " + "xyz'", "a bearer token (Bearer …)"],
  ["https://user:" + "hunter2@example.com/repo.git", "a URL with user:password@"],
];

const HARMLESS = [
  "a".repeat(63),
  "a".repeat(65),
  "f".repeat(40), // a git sha
  "pnpm install --frozen-lockfile && pnpm test",
  "https://example.com/path",
  "https://user@example.com/repo.git",
  "sk-short",
  "task-runner",
  "AKIA-not",
  "Bearer",
  "ubuntu-24.04",
];

Deno.test("secret-value patterns (SPEC §12.4)", () => {
  for (const [value, name] of SECRETS) assert.equal(looksLikeSecretValue(value), name, value);
  for (const value of HARMLESS) assert.equal(looksLikeSecretValue(value), null, value);
});

Deno.test("secret-looking key names: token, secret, password, apikey/api_key, privatekey", () => {
  for (
    const key of [
      "token",
      "hcloudToken",
      "GITHUB_TOKEN",
      "clientSecret",
      "password",
      "apikey",
      "api_key",
      "privateKey",
    ]
  ) {
    assert.ok(secretKeyProblem(key), key);
  }
  for (const key of ["ttl", "class", "allow", "set", "keep", "profile", "NODE_OPTIONS"]) {
    assert.equal(secretKeyProblem(key), null, key);
  }
});

Deno.test("token-bearing variable names (SPEC §9.4)", () => {
  const bearing = [
    "HCLOUD_TOKEN",
    "npm_token",
    "AWS_SECRET_ACCESS_KEY",
    "DB_PASSWORD",
    "MYSQL_PASSWD",
    "GPG_PASSPHRASE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AUTH",
    "X_AUTH_HEADER",
    "OPENAI_APIKEY",
    "GH_PAT",
    "PRIVATE_REGISTRY",
    "SSH_KEY",
    "STRIPE_API_KEY",
  ];
  const harmless = [
    "CI",
    "NODE_OPTIONS",
    "AUTHOR",
    "PATH",
    "KEYBOARD",
    "MONKEY",
    "KEY",
    "PATTERN",
    "PROJECT_NAME",
  ];
  for (const name of bearing) assert.equal(isTokenBearingName(name), true, name);
  for (const name of harmless) assert.equal(isTokenBearingName(name), false, name);
});

Deno.test("repo config: a secret value is an error naming the key and pattern, never the value", () => {
  for (const [value, name] of SECRETS) {
    const text = `jobs:\n  t:\n    command: make\n    env:\n      set:\n        DEPLOY: ${
      JSON.stringify(value)
    }\n`;
    try {
      validateFile(text, ".crabbox.yaml", "repo");
      assert.fail(`accepted ${name}`);
    } catch (error) {
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.exitCode, 2);
      assert.equal(
        error.message,
        `.crabbox.yaml:6:17: jobs.t.env.set.DEPLOY has a value that looks like ${name}; secrets may not be stored in the repo config`,
      );
      assert.ok(!`${error.message}${error.hint}`.includes(value), `echoed ${name}`);
    }
  }
});

Deno.test("repo config: secrets anywhere — nested keys, list items, commands", () => {
  const token = "ghp" + "_" + "y".repeat(36);
  const rows: [string, string][] = [
    [
      "hetzner:\n  token: x\n",
      `.crabbox.yaml:2:3: hetzner.token is a secret-looking key name (contains "token")`,
    ],
    ["apiKey: x\n", `.crabbox.yaml:1:1: apiKey is a secret-looking key name (contains "apiKey")`],
    [
      `sync:\n  exclude: [a, "${token}"]\n`,
      ".crabbox.yaml:2:16: sync.exclude[1] has a value that looks like a GitHub token",
    ],
    [
      `jobs:\n  t:\n    command: [curl, "${token}"]\n`,
      ".crabbox.yaml:3:21: jobs.t.command[1] has a value that looks like a GitHub token",
    ],
  ];
  for (const [text, prefix] of rows) {
    assert.throws(
      () => validateFile(text, ".crabbox.yaml", "repo"),
      (e: CrabboxError) => e.message.startsWith(prefix) && !e.message.includes(token),
      text,
    );
  }
});

Deno.test("user config: the same patterns only warn, without the value", () => {
  const token = "xoxb" + "-9999-secret";
  const layer = validateFile(
    `env:\n  set:\n    SLACK: "${token}"\n  allow: [GITHUB_TOKEN]\n`,
    "config.yaml",
    "user",
  );
  assert.deepEqual(layer.warnings, [
    "config.yaml:3:12: env.set.SLACK has a value that looks like a Slack token (xox…-); keep secrets in the environment, not in config files",
  ]);
  assert.deepEqual(
    layer.settings["env.allow"].value,
    ["GITHUB_TOKEN"],
    "a human may allow a token by exact name",
  );
});

Deno.test("repo config: token-bearing names in env.allow (top level, prefix, profile) are errors", () => {
  const rows: [string, string][] = [
    [
      "env:\n  allow: [CI, GITHUB_TOKEN]\n",
      `.crabbox.yaml:2:15: env.allow names a secret-looking variable "GITHUB_TOKEN"`,
    ],
    [
      "env:\n  allow: [AWS_SECRET*]\n",
      `.crabbox.yaml:2:11: env.allow names a secret-looking variable "AWS_SECRET*"`,
    ],
    [
      "profiles:\n  ci:\n    env:\n      allow: [NPM_AUTH_X]\n",
      `.crabbox.yaml:4:15: profiles.ci.env.allow names a secret-looking variable "NPM_AUTH_X"`,
    ],
  ];
  for (const [text, prefix] of rows) {
    assert.throws(
      () => validateFile(text, ".crabbox.yaml", "repo"),
      (e: Error) => e.message.startsWith(prefix),
      text,
    );
  }
});
