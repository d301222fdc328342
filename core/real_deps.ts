/** Wires the real adapters into one Deps object (called only from main.ts). */
import type { Deps } from "./deps.ts";
import { authError } from "./errors.ts";
import type { Redactor } from "./redact.ts";
import {
  fetchOnFreshConnection,
  realClock,
  realEnv,
  realFs,
  realNet,
  realProcess,
  realRandom,
  realSignals,
  realSystem,
  realTerminal,
} from "./runtime.ts";
import { realPrompter } from "./prompts.ts";
import { createHetznerClient, resolveEndpoint } from "../providers/hetzner/client.ts";

export function buildRealDeps(redactor: Redactor): Deps {
  return {
    hetzner: (options) => {
      const token = readToken(realEnv.get);
      redactor.add(token);
      return createHetznerClient({
        token,
        endpoint: resolveEndpoint(realEnv.get("HCLOUD_ENDPOINT") ?? options.endpoint),
        clock: realClock,
        random: Math.random,
        fetch,
        fetchUnpooled: fetchOnFreshConnection,
        notify: options.notify,
        debug: options.debug,
      });
    },
    proc: realProcess,
    fs: realFs,
    env: realEnv,
    clock: realClock,
    random: realRandom,
    io: realTerminal((text) => redactor.redact(text)),
    net: realNet,
    signals: realSignals,
    system: realSystem,
    prompt: realPrompter,
  };
}

/** HCLOUD_TOKEN, falling back to HETZNER_TOKEN (SPEC §2.1). */
function readToken(get: (name: string) => string | undefined): string {
  const token = get("HCLOUD_TOKEN")?.trim() || get("HETZNER_TOKEN")?.trim();
  if (!token) {
    throw authError(
      "HCLOUD_TOKEN is not set",
      "export HCLOUD_TOKEN=<a read/write API token of your Hetzner Cloud project> (or try the local harness: deno task harness)",
    );
  }
  return token;
}
