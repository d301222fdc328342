/** Hetzner label selectors crabbox sends (unencoded; the client encodes). */
export const crabboxServers = () => "crabbox=true";
export const leaseServer = (leaseId: string) => `crabbox=true,lease=${leaseId}`;
export const slugServers = (slug: string) => `crabbox=true,slug=${slug}`;
export const crabboxKeys = () => "crabbox=true,created_by=crabbox";
