/** Stamped by the release workflow; "dev" for unreleased builds. */
export const VERSION = "dev";
export const COMMIT = "unknown";

/** `--version`: `0.4.0 (commit 1a2b3c4…, deno 2.9.6, x86_64-unknown-linux-gnu)`; `version` prints 0.4.0 alone. */
export function versionLine(runtime: { deno: string; target: string }): string {
  return `${VERSION} (commit ${COMMIT}, deno ${runtime.deno}, ${runtime.target})`;
}
