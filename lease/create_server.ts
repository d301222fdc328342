/**
 * POST /servers through the type/location fallback loop of SPEC §5.2: types outer, locations inner;
 * capacity errors move to the next location, quota errors to the next type.
 */
import type { CreateServerRequest, HetznerApi, Server } from "../providers/hetzner/port.ts";
import {
  HetznerApiError,
  isCapacityError,
  isQuotaError,
  isServerCountQuota,
} from "../providers/hetzner/errors.ts";
import { CrabboxError } from "../core/errors.ts";

export interface CreateAttemptPlan {
  request: Omit<CreateServerRequest, "serverType" | "location">;
  serverTypes: string[];
  /** Empty: let Hetzner choose (never the case with the default config). */
  locations: string[];
}

export interface CreatedServer {
  server: Server;
  actionId: number | null;
  serverType: string;
  location: string | null;
}

export async function createWithFallback(
  api: HetznerApi,
  plan: CreateAttemptPlan,
  notify: (message: string) => void,
  signal?: AbortSignal,
): Promise<CreatedServer> {
  const rejections: string[] = [];
  const locations = plan.locations.length > 0 ? plan.locations : [undefined];
  for (const [typeIndex, serverType] of plan.serverTypes.entries()) {
    for (const [locationIndex, location] of locations.entries()) {
      signal?.throwIfAborted();
      const labels = { ...plan.request.labels, server_type: serverType };
      try {
        const created = await api.createServer({ ...plan.request, labels, serverType, location }, { signal });
        return { ...created, serverType, location: created.server.location ?? location ?? null };
      } catch (error) {
        if (!(error instanceof HetznerApiError)) throw error;
        if (isServerCountQuota(error)) throw serverCountQuotaError(error);
        const where = `${serverType}${location ? ` in ${location}` : ""}`;
        rejections.push(`${serverType}@${location ?? "any"} ${error.code}`);
        const nextLocation = locations[locationIndex + 1];
        const nextType = plan.serverTypes[typeIndex + 1];
        if (isCapacityError(error) && nextLocation) {
          notify(`${where} rejected (${error.code}); trying ${nextLocation}`);
          continue;
        }
        if ((isCapacityError(error) || isQuotaError(error)) && nextType) {
          notify(`${where} rejected (${error.code}); trying ${nextType}`);
          break;
        }
        if (isCapacityError(error) || isQuotaError(error)) {
          throw new CrabboxError("provider", `no capacity: ${rejections.join("; ")}`, {
            hint: "try another --class, --type or --location, or retry later",
            cause: error,
          });
        }
        throw error;
      }
    }
  }
  throw new CrabboxError("provider", `no capacity: ${rejections.join("; ")}`, {
    hint: "try another --class, --type or --location, or retry later",
  });
}

function serverCountQuotaError(error: HetznerApiError): CrabboxError {
  return new CrabboxError("provider", `hetzner refused the server: ${error.message} (server-count quota)`, {
    hint: "delete boxes you no longer need (crabbox list; crabbox sweep), or ask Hetzner for a higher limit",
    cause: error,
  });
}
