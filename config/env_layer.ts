/**
 * The CRABBOX_* environment layer (SPEC §12.2, §2.1) and the flag layer. Pure: a map of variables in,
 * typed values out. Invalid values are errors naming the variable (or flag); unknown CRABBOX_* variables
 * are warnings.
 */
import { configError, usageError } from "../core/errors.ts";
import { KEYS, OTHER_ENV } from "./schema.ts";
import { coerce, parseBool, suggest } from "./values.ts";
import { allowEntryProblem } from "./env_allow.ts";

export interface Override {
  value: unknown;
  /** `env CRABBOX_TTL` or `flag --ttl`. */
  source: string;
}

export interface EnvLayer {
  settings: Record<string, Override>;
  warnings: string[];
}

export function readEnvLayer(env: Record<string, string>): EnvLayer {
  const provider = env.CRABBOX_PROVIDER;
  if (provider !== undefined && provider !== "" && provider !== "hetzner") {
    throw usageError(
      `unknown provider "${provider}" in CRABBOX_PROVIDER`,
      "hetzner is the only provider; unset CRABBOX_PROVIDER or set it to hetzner",
    );
  }
  const layer: EnvLayer = { settings: {}, warnings: [] };
  const known = new Set(Object.keys(OTHER_ENV));
  for (const [key, spec] of Object.entries(KEYS)) {
    if (!spec.env) continue;
    known.add(spec.env);
    const raw = env[spec.env];
    if (raw === undefined || raw === "") continue;
    try {
      const value = coerce(spec, raw, "env");
      if (key === "env.allow") {
        const problem = (value as string[]).map(allowEntryProblem).find((p) => p !== null);
        if (problem) throw new Error(problem);
      }
      layer.settings[key] = { value, source: `env ${spec.env}` };
    } catch (error) {
      throw configError(`${spec.env}: ${key} ${(error as Error).message}`, `fix or unset ${spec.env}`);
    }
  }
  for (const [name, type] of Object.entries(OTHER_ENV)) {
    const raw = env[name];
    if (type !== "bool" || raw === undefined || raw === "" || parseBool(raw) !== null) continue;
    throw configError(`${name} must be 1/true/yes/on or 0/false/no/off`, `fix or unset ${name}`);
  }
  if (parseBool(env.CRABBOX_NO_SWEEP ?? "") === true) {
    layer.settings["sweep.auto"] = { value: false, source: "env CRABBOX_NO_SWEEP" };
  }
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith("CRABBOX_") && !known.has(name)) {
      layer.warnings.push(`unknown environment variable ${name}${suggest(name, known)}; it is ignored`);
    }
  }
  return layer;
}

/** The flag layer: values keyed by config key (already parsed or as text); errors are usage errors. */
export function readFlagLayer(flags: Record<string, unknown>): Record<string, Override> {
  const out: Record<string, Override> = {};
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const spec = KEYS[key];
    if (!spec || key === "policy.jobsOnly") throw new Error(`internal: no flag may set config key "${key}"`);
    const flag = spec.flag ?? `--${key.split(".").pop()!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    try {
      out[key] = { value: coerce(spec, raw, "flag"), source: `flag ${flag}` };
    } catch (error) {
      throw usageError(`${flag} ${(error as Error).message}`, spec.hint ?? `pass a valid ${flag}`);
    }
  }
  return out;
}
