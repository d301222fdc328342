/** Ajv over Hetzner's document: request and response bodies checked in unit tests (HARNESS §2.4). */
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { loadDerivedSpec, type OpenApiDoc } from "./spec.ts";

// deno-lint-ignore no-explicit-any
const Ajv = ((AjvModule as any).default ?? AjvModule) as typeof AjvModule;
// deno-lint-ignore no-explicit-any
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: unknown) => void;

let spec: OpenApiDoc | null = null;
// deno-lint-ignore no-explicit-any
let ajv: any = null;
const cache = new Map<string, (data: unknown) => boolean>();

function compile(key: string, schema: unknown) {
  spec ??= loadDerivedSpec();
  if (!ajv) {
    // deno-lint-ignore no-explicit-any
    ajv = new (Ajv as any)({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    for (const f of ["int64", "int32", "decimal"]) ajv.addFormat(f, true);
  }
  if (!cache.has(key)) cache.set(key, ajv.compile(schema));
  return cache.get(key)!;
}

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};

function problems(validate: Validate, body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

export function validateRequestBody(method: string, path: string, body: unknown): string[] {
  spec ??= loadDerivedSpec();
  const schema = spec.paths[path]?.[method.toLowerCase()]?.requestBody?.content?.["application/json"]?.schema;
  if (!schema) return [`no request schema for ${method} ${path}`];
  return problems(compile(`req ${method} ${path}`, schema) as never, body);
}

export function validateResponseBody(method: string, path: string, status: number, body: unknown): string[] {
  spec ??= loadDerivedSpec();
  const responses = spec.paths[path]?.[method.toLowerCase()]?.responses ?? {};
  const entry = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
  const schema = entry?.content?.["application/json"]?.schema;
  if (!schema) return status === 204 && entry ? [] : [`no response schema for ${method} ${path} ${status}`];
  return problems(compile(`res ${method} ${path} ${status}`, schema) as never, body);
}
