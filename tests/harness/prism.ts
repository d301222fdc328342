/**
 * Stoplight Prism as a validating proxy (HARNESS §2.3): `prism proxy --errors` over the derived spec.
 * Invalid requests get 422 from Prism, invalid responses a 500; both are collected as violations,
 * as is any sl-violations header. Test code.
 */
import { fileURLToPath } from "node:url";
import { writeDerivedSpec } from "../contract/spec.ts";

export interface Violation {
  method: string;
  path: string;
  status: number;
  detail: string;
}

export interface PrismProxy {
  url: string;
  violations(): Violation[];
  stop(): Promise<void>;
  /** For exit handlers: no awaiting possible there. */
  killSync(): void;
}

export const PRISM_DIR = fileURLToPath(new URL("../../tools/prism/", import.meta.url));
const PRISM_BIN = `${PRISM_DIR}node_modules/.bin/prism`;

/** Installs the pinned Prism from tools/prism's lock file unless it is already there (idempotent). */
export async function ensurePrism(): Promise<string> {
  const installed = await Deno.stat(PRISM_BIN).then(() => true, () => false);
  if (installed) return PRISM_BIN;
  const out = await new Deno.Command("timeout", {
    args: ["600", "npm", "ci", "--prefix", PRISM_DIR, "--no-audit", "--no-fund", "--loglevel=error"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`npm ci in tools/prism failed: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`);
  }
  return PRISM_BIN;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export async function startPrism(upstream: string): Promise<PrismProxy> {
  const specDir = await Deno.makeTempDir({ prefix: "cbx-prism-" });
  const spec = writeDerivedSpec(`${specDir}/cloud.spec.json`);
  const port = freePort();
  await ensurePrism();
  // timeout forwards our SIGTERM to Prism; -k covers a Prism that ignores it.
  const child = new Deno.Command("timeout", {
    args: [
      "-k",
      "5",
      "3600",
      PRISM_BIN,
      "proxy",
      "--errors",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      spec,
      upstream,
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const prismUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGTERM");
        await child.status;
        throw new Error("prism did not start within 30s (is tools/prism installed? run tools/setup.sh)");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // A small forwarding front records what Prism says about each exchange.
  const violations: Violation[] = [];
  const front = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    const target = `${prismUrl}${url.pathname}${url.search}`;
    const body = request.method === "GET" || request.method === "DELETE"
      ? undefined
      : await request.arrayBuffer();
    const headers = new Headers(request.headers);
    // Prism rewrites Host to the fake's; the fake builds Link URLs from this instead.
    headers.set("x-forwarded-host", url.host);
    let response: Response;
    try {
      response = await fetch(target, { method: request.method, headers, body });
    } catch (error) {
      violations.push({
        method: request.method,
        path: url.pathname + url.search,
        status: 0,
        detail: String(error),
      });
      return new Response("prism unreachable", { status: 502 });
    }
    const text = await response.arrayBuffer();
    const header = response.headers.get("sl-violations");
    const type = response.headers.get("content-type") ?? "";
    if (header || type.includes("application/problem+json")) {
      violations.push({
        method: request.method,
        path: url.pathname + url.search,
        status: response.status,
        detail: header ?? new TextDecoder().decode(text).slice(0, 2000),
      });
    }
    return new Response(response.status === 204 ? null : text, {
      status: response.status,
      headers: response.headers,
    });
  });
  return {
    url: `http://127.0.0.1:${front.addr.port}`,
    violations: () => [...violations],
    killSync: () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    },
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await front.shutdown();
      await Deno.remove(specDir, { recursive: true }).catch(() => {});
    },
  };
}
