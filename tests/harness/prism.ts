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
}

const PRISM_BIN = fileURLToPath(new URL("../../tools/prism/node_modules/.bin/prism", import.meta.url));

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
  const child = new Deno.Command("timeout", {
    args: ["3600", PRISM_BIN, "proxy", "--errors", "-h", "127.0.0.1", "-p", String(port), spec, upstream],
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
        child.kill("SIGKILL");
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
    const response = await fetch(target, { method: request.method, headers: request.headers, body });
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
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await front.shutdown();
      await Deno.remove(specDir, { recursive: true }).catch(() => {});
    },
  };
}
