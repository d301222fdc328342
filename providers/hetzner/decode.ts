/**
 * Lenient decoding of Hetzner JSON into crabbox's plain types: unknown fields ignored, null IPs
 * tolerated; an item that does not decode returns null so a list can skip it.
 */
import type { Action, Location, Server, ServerType, SshKey } from "./port.ts";
import type { components, paths } from "./schema.d.ts";

type ApiServer = paths["/servers/{id}"]["get"]["responses"][200]["content"]["application/json"]["server"];
type ApiSshKey = paths["/ssh_keys/{id}"]["get"]["responses"][200]["content"]["application/json"]["ssh_key"];
type ApiAction = paths["/actions/{id}"]["get"]["responses"][200]["content"]["application/json"]["action"];
// Kept for readers: the generated module also carries the shared schemas.
export type { components };

// deno-lint-ignore no-explicit-any
type Loose = any;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function labelsOf(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "string")) as Record<
    string,
    string
  >;
}

export function decodeServer(raw: Partial<ApiServer> | Loose): Server | null {
  if (!isRecord(raw) || typeof raw.id !== "number" || typeof raw.name !== "string") return null;
  const created = Date.parse(String(raw.created ?? ""));
  const ipv4 = (raw as Loose).public_net?.ipv4?.ip;
  return {
    id: raw.id,
    name: raw.name,
    status: typeof raw.status === "string" ? raw.status : "unknown",
    createdMs: Number.isNaN(created) ? 0 : created,
    ipv4: typeof ipv4 === "string" ? ipv4 : null,
    labels: labelsOf(raw.labels),
    serverType: String((raw as Loose).server_type?.name ?? "unknown"),
    location: (raw as Loose).location?.name ?? (raw as Loose).datacenter?.location?.name ?? null,
  };
}

export function decodeSshKey(raw: Partial<ApiSshKey> | Loose): SshKey | null {
  if (!isRecord(raw) || typeof raw.id !== "number" || typeof raw.name !== "string") return null;
  const created = Date.parse(String(raw.created ?? ""));
  return {
    id: raw.id,
    name: raw.name,
    publicKey: String(raw.public_key ?? ""),
    fingerprint: String(raw.fingerprint ?? ""),
    labels: labelsOf(raw.labels),
    createdMs: Number.isNaN(created) ? 0 : created,
  };
}

export function decodeAction(raw: Partial<ApiAction> | Loose): Action | null {
  if (!isRecord(raw) || typeof raw.id !== "number") return null;
  const status = raw.status === "success" || raw.status === "error" ? raw.status : "running";
  const error = isRecord(raw.error)
    ? { code: String(raw.error.code), message: String(raw.error.message) }
    : null;
  return { id: raw.id, status, error };
}

export function decodeServerType(raw: Loose): ServerType | null {
  if (!isRecord(raw) || typeof raw.name !== "string") return null;
  return {
    name: raw.name,
    deprecated: !!raw.deprecated || !!(raw as Loose).deprecation,
    architecture: typeof raw.architecture === "string" ? raw.architecture : null,
  };
}

export function decodeLocation(raw: Loose): Location | null {
  return isRecord(raw) && typeof raw.name === "string" ? { name: raw.name } : null;
}
