/** Stamped by the release workflow; "dev" for unreleased builds. */
export const VERSION = "dev";
export const COMMIT = "unknown";
