/** A job's `allowCidrs:` key: when it decides the box's allowlist, and how the warmup step names it. */
import assert from "node:assert/strict";
import type { LoadedConfig } from "../../config/load.ts";
import { type JobSpec, planSteps } from "../../jobs/plan.ts";
import { jobAllowlist } from "../../jobs/spec.ts";

const config = (source: string) => ({ sources: { "ssh.allowCidrs": source } }) as unknown as LoadedConfig;
const job = (allowCidrs: string[] | null) =>
  ({
    name: "e2e",
    allowCidrs,
    allowCidrsSource: allowCidrs ? "jobs.e2e.allowCidrs .crabbox.yaml:4:5" : null,
    profile: "default",
    className: "standard",
    serverType: null,
    architecture: "amd64",
    exactLocation: null,
    image: "ubuntu-24.04",
    ttlSecs: 3600,
    idleSecs: 1800,
    keep: false,
    pool: null,
    checkpoint: null,
    command: "make",
    mode: "shell",
    commandArgv: ["make"],
    envAllow: [],
    envSet: {},
    junit: [],
    artifacts: [],
    requiredArtifacts: [],
    downloads: [],
    syncOnly: false,
    noSync: false,
    checksum: false,
    forceSyncLarge: false,
    workdir: null,
    timeoutSecs: null,
    stop: "auto",
  }) as unknown as JobSpec;

Deno.test("jobAllowlist: the job's key replaces the config's, a flag replaces both", () => {
  const rows: [string, string[] | null, ReturnType<typeof jobAllowlist>][] = [
    ["default", null, null],
    ["user /h/.config/crabbox/config.yaml:2", null, null],
    ["default", ["203.0.113.0/24"], {
      cidrs: ["203.0.113.0/24"],
      source: "jobs.e2e.allowCidrs .crabbox.yaml:4:5",
    }],
    ["repo /r/.crabbox.yaml:2", [], { cidrs: [], source: "jobs.e2e.allowCidrs .crabbox.yaml:4:5" }],
    ["flag --allow-cidr", ["203.0.113.0/24"], null],
  ];
  for (const [source, cidrs, want] of rows) {
    assert.deepEqual(jobAllowlist(config(source), job(cidrs)), want, `${source} ${cidrs}`);
  }
});

Deno.test("planSteps: the warmup step passes each of the job's ranges as --allow-cidr", () => {
  const warmup = (cidrs: string[] | null) => planSteps(job(cidrs), {})[0].argv;
  assert.deepEqual(warmup(["203.0.113.0/24", "198.51.100.7/32"]).slice(-4), [
    "--allow-cidr",
    "203.0.113.0/24",
    "--allow-cidr",
    "198.51.100.7/32",
  ]);
  assert.ok(!warmup(null).includes("--allow-cidr"));
  assert.ok(!warmup([]).includes("--allow-cidr"));
});
