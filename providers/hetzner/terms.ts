/** Hetzner's words for its servers (the default of HetznerApi.terms). Pure. */
import type { HetznerApi, ProviderTerms } from "./port.ts";

export const HETZNER_TERMS: ProviderTerms = {
  label: "hetzner",
  server: (id) => `server ${id}`,
  servers: (count) => (count === 1 ? "server" : "servers"),
  verbs: { delete: "delete", deleting: "deleting", deleted: "deleted" },
  priced: true,
  created: (server, serverType, location) =>
    `created server ${server.id} ${server.name} type=${serverType} location=${location ?? "auto"}`,
};

/** The port's terms, Hetzner's when it names none. */
export function termsOf(api: Pick<HetznerApi, "terms">): ProviderTerms {
  return api.terms ?? HETZNER_TERMS;
}
