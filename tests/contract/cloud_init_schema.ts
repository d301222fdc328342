/**
 * cloud-init's own JSON schema (Debian 12, cloud-init 22.4.2, vendored) applied in process with
 * ajv-draft-04: the same verdicts as `cloud-init schema --config-file` (HARNESS §6).
 */
import AjvDraft04 from "ajv-draft-04";
import { parse } from "yaml";

const SCHEMA = JSON.parse(Deno.readTextFileSync(new URL("./schema-cloud-config-v1.json", import.meta.url)));
// Keys crabbox may emit: the schema does not flag unknown top-level keys, so we do.
const CRABBOX_TOP_LEVEL = new Set([
  "package_update",
  "package_upgrade",
  "ssh_pwauth",
  "disable_root",
  "ssh_deletekeys",
  "ssh_keys",
  "users",
  "write_files",
  "runcmd",
  "bootcmd",
]);

// deno-lint-ignore no-explicit-any
const Ajv = ((AjvDraft04 as any).default ?? AjvDraft04) as new (options: Record<string, unknown>) => {
  compile(
    schema: unknown,
  ): ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
};
let validator: ReturnType<InstanceType<typeof Ajv>["compile"]> | null = null;

/** Problems with a cloud-config document; empty means valid. */
export function validateCloudConfig(yamlText: string): string[] {
  if (!yamlText.startsWith("#cloud-config\n")) return ["user-data needs to begin with #cloud-config"];
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (error) {
    return [`invalid YAML: ${(error as Error).message}`];
  }
  validator ??= new Ajv({ strict: false, allErrors: true, logger: false }).compile(SCHEMA);
  const problems = validator(doc)
    ? []
    : (validator.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  for (const key of Object.keys((doc ?? {}) as object)) {
    if (!CRABBOX_TOP_LEVEL.has(key)) problems.push(`unexpected top-level key ${key}`);
  }
  return problems;
}
