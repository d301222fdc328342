/** The per-lease Hetzner SSH key resource (SPEC §5.4): reuse our own, refuse a foreign one, look up after ambiguity. */
import type { CallOptions, HetznerApi, Labels, SshKey } from "../providers/hetzner/port.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { authError } from "../core/errors.ts";

export async function ensureSshKey(
  api: HetznerApi,
  key: { name: string; publicKey: string; labels: Labels },
  signal?: AbortSignal,
): Promise<SshKey> {
  const options: CallOptions = { signal };
  // Create first: the name carries a fresh random lease id, so a key by that name exists only after an
  // ambiguous earlier attempt — the uniqueness error below then adopts it (one request, not two).
  try {
    return await api.createSshKey(key, options);
  } catch (error) {
    const ambiguous = error instanceof HetznerApiError &&
      (error.code === "uniqueness_error" || error.status >= 500 || error.status === 0);
    if (!ambiguous) throw error;
    const adopted = await findByName(api, key, options);
    if (adopted) return adopted;
    throw error;
  }
}

async function findByName(
  api: HetznerApi,
  key: { name: string; publicKey: string },
  options: CallOptions,
): Promise<SshKey | null> {
  const [existing] = await api.listSshKeys({ name: key.name }, options);
  if (!existing) return null;
  if (samePublicKey(existing.publicKey, key.publicKey)) return existing;
  throw authError(
    `hetzner ssh key "${key.name}" exists with a different public key`,
    `delete it in the Hetzner console or with: hcloud ssh-key delete ${key.name}`,
  );
}

/** Compares type and base64 body; the comment may differ. */
function samePublicKey(a: string, b: string): boolean {
  const body = (k: string) => k.trim().split(/\s+/).slice(0, 2).join(" ");
  return body(a) === body(b);
}
