/** The shape of a new lease from the effective config; its mistakes (idle > ttl, a type the arch lacks) surface here. */
import type { Deps } from "../core/deps.ts";
import { configError, usageError } from "../core/errors.ts";
import { formatDuration } from "../core/duration.ts";
import type { LoadedConfig } from "../config/load.ts";
import { type LeaseShape, requestedSlug } from "./acquire.ts";
import { architectureProblem, serverTypesFor } from "./classes.ts";
import { requestedPond } from "../labels/pond.ts";

interface LeaseShapeRequest {
  config: LoadedConfig;
  owner: string;
  repo: string;
  keep: boolean;
  slug: string | undefined;
  pond?: string;
  sshPorts: number[];
  /** From sshConfigFileFor. */
  sshConfigFile: string;
}

/**
 * ssh.configFile as ssh's -F takes it: "none", else the path with a leading ~/ expanded (ssh does not
 * expand -F). With `fs`, a missing file is a config error before anything is leased: every ssh would
 * fail on it and readiness would wait out its timeout on a paid box.
 */
export async function sshConfigFileFor(
  deps: Pick<Deps, "system"> & Partial<Pick<Deps, "fs">>,
  value: string,
): Promise<string> {
  if (value === "none") return value;
  const path = value.startsWith("~/") ? `${deps.system.homeDir()}/${value.slice(2)}` : value;
  if (deps.fs && !(await deps.fs.lstat(path))) {
    throw configError(
      `ssh.configFile ${value}: no such file`,
      "create it, fix the path in the user config, or remove ssh.configFile",
    );
  }
  return path;
}

/** Idle timeout within the ttl, and a server type the architecture has (exit 2 / exit 3). */
export function checkLeaseShape(config: LoadedConfig): void {
  const c = config.config;
  if (c.idleTimeout > c.ttl) {
    throw usageError(
      `idle timeout ${formatDuration(c.idleTimeout)} is longer than the ttl ${formatDuration(c.ttl)}`,
      "pass a shorter --idle-timeout or a longer --ttl",
    );
  }
  const typeProblem = architectureProblem(
    serverTypesFor(c.class, c.serverType || undefined, c.architecture),
    c.architecture,
  );
  if (typeProblem) {
    throw configError(
      `${typeProblem} (architecture: ${config.sources.architecture}; type: ${
        config.sources.serverType === "default" ? config.sources.class : config.sources.serverType
      })`,
      "pick a class (it maps to the CAX types), pass --type cax21, or drop --arch arm64",
    );
  }
}

/** The shape from a config that passed checkLeaseShape. */
export function leaseShapeFor(request: LeaseShapeRequest): LeaseShape {
  const c = request.config.config;
  const location = c.hetzner.location;
  return {
    className: c.class,
    serverType: c.serverType || undefined,
    architecture: c.architecture,
    locations: location ? [location] : c.hetzner.locations,
    image: c.hetzner.image,
    ttlSecs: c.ttl,
    idleSecs: c.idleTimeout,
    keep: request.keep,
    slug: requestedSlug(request.slug) ?? undefined,
    pond: requestedPond(request.pond),
    pondIpRange: c.pond.ipRange,
    profile: c.profile,
    owner: request.owner,
    repo: request.repo,
    bootstrapTimeoutSecs: c.lease.bootstrapTimeout,
    ipTimeoutSecs: c.lease.ipTimeout,
    sshUser: c.ssh.user,
    sshPorts: request.sshPorts,
    workRoot: c.workRoot,
    connectTimeoutSecs: c.ssh.connectTimeout,
    controlPersist: c.ssh.controlPersist,
    sshConfigFile: request.sshConfigFile,
    createAttempts: c.lease.createAttempts,
    budget: { ...c.budget, graceSecs: c.sweep.grace },
    allowCidrs: c.ssh.allowCidrs,
    allowCidrsSource: request.config.sources["ssh.allowCidrs"],
  };
}
