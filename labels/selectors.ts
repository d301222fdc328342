/** Hetzner label selectors crabbox sends (unencoded; the client encodes). */
import { usageError } from "../core/errors.ts";

/** A label value (SPEC §3.1); anything else could add terms (`,`, `=`, `!`, `in (…)`) to a selector. */
const LABEL_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

function value(text: string): string {
  if (!LABEL_VALUE.test(text)) {
    throw usageError(
      `${JSON.stringify(text)} cannot be used as a label value`,
      "use up to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
    );
  }
  return text;
}

export const crabboxServers = () => "crabbox=true";
export const leaseServer = (leaseId: string) => `crabbox=true,lease=${value(leaseId)}`;
export const slugServers = (slug: string) => `crabbox=true,slug=${value(slug)}`;
export const poolMembers = (pool: string) => `crabbox=true,pool=${value(pool)}`;
export const crabboxKeys = () => "crabbox=true,created_by=crabbox";
/** `base` narrowed to these leases: `crabbox=true,lease in (cbx_…,cbx_…)`. */
export const leaseIn = (base: string, leases: string[]) =>
  `${base},lease in (${leases.map(value).join(",")})`;
