/**
 * Ajv over Hetzner's OpenAPI 3.0 document (derived by spec.ts): request and response bodies checked in
 * unit tests. Operations compile lazily, one validator per (direction, method, path, status), because
 * the document is large. `nullable` is Ajv's built-in OpenAPI keyword; `example`/`discriminator` are
 * ignored under strict:false.
 */
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { loadDerivedSpec, type OpenApiDoc } from "./spec.ts";

// deno-lint-ignore no-explicit-any
const Ajv = ((AjvModule as any).default ?? AjvModule) as any;
// deno-lint-ignore no-explicit-any
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: unknown) => void;

/** OpenAPI number formats Ajv does not know; their ranges are enforced by minimum/maximum instead. */
const PERMISSIVE_FORMATS = ["int64", "int32", "decimal", "double", "float", "xfs"];

type Validator = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
};

let spec: OpenApiDoc | null = null;
// deno-lint-ignore no-explicit-any
let ajv: any = null;
const validators = new Map<string, Validator>();

function document(): OpenApiDoc {
  spec ??= loadDerivedSpec();
  return spec;
}

function validator(key: string, schema: unknown): Validator {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    for (const format of PERMISSIVE_FORMATS) ajv.addFormat(format, true);
  }
  let compiled = validators.get(key);
  if (!compiled) {
    compiled = ajv.compile(schema) as Validator;
    validators.set(key, compiled);
  }
  return compiled;
}

function problems(validate: Validator, body: unknown): string[] {
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : "";
    return `${e.instancePath || "/"} ${e.message}${extra}`;
  });
}

function operation(method: string, pathTemplate: string): OpenApiDoc | null {
  return document().paths[pathTemplate]?.[method.toLowerCase()] ?? null;
}

/** Problems with a JSON request body; [] when it matches the operation's schema. */
export function validateRequestBody(method: string, pathTemplate: string, body: unknown): string[] {
  const schema = operation(method, pathTemplate)?.requestBody?.content?.["application/json"]?.schema;
  if (!schema) return [`no request schema for ${method} ${pathTemplate}`];
  return problems(validator(`request ${method} ${pathTemplate}`, schema), body);
}

/** Problems with a response body for this status (exact key first, then 4XX/5XX); [] when valid. */
export function validateResponseBody(
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
): string[] {
  const responses = operation(method, pathTemplate)?.responses ?? {};
  const key = String(status) in responses ? String(status) : `${String(status)[0]}XX`;
  const entry = responses[key];
  if (!entry) return [`no ${status} response documented for ${method} ${pathTemplate}`];
  const schema = entry.content?.["application/json"]?.schema;
  if (!schema) {
    return body === undefined || body === null ? [] : [`${method} ${pathTemplate} ${status} has no body`];
  }
  return problems(validator(`response ${method} ${pathTemplate} ${key}`, schema), body);
}
