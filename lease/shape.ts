/** The shape of a new lease from the effective config; its mistakes (idle > ttl, a type the arch lacks) surface here. */
import { configError, usageError } from "../core/errors.ts";
import { formatDuration } from "../core/duration.ts";
import type { LoadedConfig } from "../config/load.ts";
import { type LeaseShape, requestedSlug } from "./acquire.ts";
import { architectureProblem, serverTypesFor } from "./classes.ts";

interface LeaseShapeRequest {
  config: LoadedConfig;
  owner: string;
  repo: string;
  keep: boolean;
  slug: string | undefined;
  sshPorts: number[];
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
    profile: c.profile,
    owner: request.owner,
    repo: request.repo,
    bootstrapTimeoutSecs: c.lease.bootstrapTimeout,
    ipTimeoutSecs: c.lease.ipTimeout,
    sshUser: c.ssh.user,
    sshPorts: request.sshPorts,
    workRoot: c.workRoot,
    connectTimeoutSecs: c.ssh.connectTimeout,
    controlPersist: c.ssh.controlPersist > 0,
    createAttempts: c.lease.createAttempts,
    budget: { ...c.budget, graceSecs: c.sweep.grace },
    allowCidrs: c.ssh.allowCidrs,
    allowCidrsSource: request.config.sources["ssh.allowCidrs"],
  };
}
