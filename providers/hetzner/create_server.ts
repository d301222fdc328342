/**
 * POST /servers is never retried blindly (SPEC §6, §16 #29). After an ambiguous failure the lease label
 * is looked up, again 5 s later, and a found server is adopted; only then is the POST sent once more.
 * A 409 uniqueness_error on the name adopts the named server when its lease label is ours.
 */
import type { Clock } from "../../core/deps.ts";
import type { CallOptions, CreateServerRequest, Server } from "./port.ts";
import type { paths } from "./schema.d.ts";
import { HetznerApiError } from "./errors.ts";
import type { HetznerHttp } from "./http.ts";
import { decodeServer } from "./decode.ts";

export type CreateServerBody = paths["/servers"]["post"]["requestBody"]["content"]["application/json"];

const ADOPTION_RECHECK_MS = 5_000;

export interface CreateServerPorts {
  http: HetznerHttp;
  clock: Clock;
  listServers(query: { labelSelector?: string; name?: string }, options?: CallOptions): Promise<Server[]>;
}

export interface CreatedServer {
  server: Server;
  actionId: number | null;
}

function createServerBody(request: CreateServerRequest): CreateServerBody {
  return {
    name: request.name,
    server_type: request.serverType,
    image: request.image,
    ...(request.location ? { location: request.location } : {}),
    start_after_create: true,
    public_net: { enable_ipv4: true, enable_ipv6: false },
    ssh_keys: request.sshKeys,
    user_data: request.userData,
    labels: request.labels,
    ...(request.networks?.length ? { networks: request.networks } : {}),
    ...(request.firewalls?.length ? { firewalls: request.firewalls.map((firewall) => ({ firewall })) } : {}),
  };
}

export async function createServerSafely(
  ports: CreateServerPorts,
  request: CreateServerRequest,
  options: CallOptions = {},
): Promise<CreatedServer> {
  try {
    return await post(ports, request, options);
  } catch (error) {
    if (!(error instanceof HetznerApiError)) throw error;
    if (error.code === "uniqueness_error") return await adoptByName(ports, request, error, options);
    if (!error.ambiguous) throw error;
    const adopted = await findByLease(ports, request, options) ??
      await ports.clock.sleep(ADOPTION_RECHECK_MS, options.signal)
        .then(() => findByLease(ports, request, options));
    if (adopted) return { server: adopted, actionId: null };
  }
  try {
    return await post(ports, request, options);
  } catch (error) {
    // The first POST may have landed after all, and now holds the name.
    if (error instanceof HetznerApiError && error.code === "uniqueness_error") {
      return await adoptByName(ports, request, error, options);
    }
    throw error;
  }
}

async function post(
  ports: CreateServerPorts,
  request: CreateServerRequest,
  options: CallOptions,
): Promise<CreatedServer> {
  const response = await ports.http.once({
    method: "POST",
    path: "/servers",
    body: createServerBody(request),
    signal: options.signal,
  });
  const json = response.json as { server?: unknown; action?: { id?: unknown } } | null;
  const server = decodeServer(json?.server);
  if (!server) {
    // Created, probably, but unreadable: ambiguous, so the lease lookup decides.
    throw new HetznerApiError({
      method: "POST",
      path: "/servers",
      status: response.status,
      code: "bad_response",
      message: "the answer carried no readable server",
      details: null,
      correlationId: response.headers.get("x-correlation-id"),
      retryAfterMs: null,
    });
  }
  const actionId = json?.action?.id;
  return { server, actionId: typeof actionId === "number" ? actionId : null };
}

async function findByLease(
  ports: CreateServerPorts,
  request: CreateServerRequest,
  options: CallOptions,
): Promise<Server | null> {
  const lease = request.labels.lease;
  if (!lease) return null;
  const servers = await ports.listServers({ labelSelector: `lease=${lease}` }, options);
  return servers.find((s) => s.labels.lease === lease) ?? null;
}

async function adoptByName(
  ports: CreateServerPorts,
  request: CreateServerRequest,
  conflict: HetznerApiError,
  options: CallOptions,
): Promise<CreatedServer> {
  const servers = await ports.listServers({ name: request.name }, options);
  const named = servers.find((s) => s.name === request.name);
  const lease = request.labels.lease;
  if (named && lease && named.labels.lease === lease) return { server: named, actionId: null };
  throw conflict;
}
