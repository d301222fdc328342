/**
 * Hetzner's official OpenAPI document (vendored gzipped, verified by sha256) and the two test-time
 * derivations HARNESS.md §2.2 requires. The counts fail loudly when upstream changes.
 */
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

export const SPEC_SHA256 = "6e397c17038c6d9b3e77dfe29a83e672ca30d0a28e6b8de3cdcb5148a4a945a0";
const GZ_PATH = fileURLToPath(new URL("./cloud.spec.json.gz", import.meta.url));

// deno-lint-ignore no-explicit-any
export type OpenApiDoc = any;

/** The verbatim document, checked against the hash recorded in SOURCE.txt. */
export function loadOfficialSpecText(): string {
  const bytes = gunzipSync(Deno.readFileSync(GZ_PATH));
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== SPEC_SHA256) {
    throw new Error(`vendored cloud.spec.json has sha256 ${digest}, expected ${SPEC_SHA256}`);
  }
  return new TextDecoder().decode(bytes);
}

/** 4xx/5xx → 4XX/5XX (378 keys) and id-or-name widening of POST /servers references (5 sites). */
export function deriveSpec(spec: OpenApiDoc): OpenApiDoc {
  let renamed = 0, widened = 0;
  for (const item of Object.values<OpenApiDoc>(spec.paths)) {
    for (const op of Object.values<OpenApiDoc>(item)) {
      for (const k of ["4xx", "5xx"]) {
        if (op?.responses?.[k]) {
          op.responses[k.toUpperCase()] = op.responses[k];
          delete op.responses[k];
          renamed++;
        }
      }
    }
  }
  const p = spec.paths["/servers"].post.requestBody.content["application/json"].schema.properties;
  for (const s of [p.image, p.server_type, p.location, p.datacenter, p.ssh_keys.items]) {
    if (s?.type === "string") {
      delete s.type;
      s.oneOf = [{ type: "integer" }, { type: "string" }];
      widened++;
    }
  }
  if (renamed !== 378 || widened !== 5) {
    throw new Error(`spec changed: renamed=${renamed}/378 widened=${widened}/5`);
  }
  return spec;
}

export function loadDerivedSpec(): OpenApiDoc {
  return deriveSpec(JSON.parse(loadOfficialSpecText()));
}

/** Writes the derived document to a file (for Prism) and returns its path. */
export function writeDerivedSpec(path: string): string {
  Deno.writeTextFileSync(path, JSON.stringify(loadDerivedSpec()));
  return path;
}
