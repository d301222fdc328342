/**
 * Class → server types tried in order (SPEC §5.2). Any other class string is used verbatim as a type.
 * With `architecture: arm64` (`--arch arm64`) the classes map to Hetzner's Ampere Altra (CAX) types, the
 * only arm64 servers Hetzner offers; there is one CAX type per size, so each class tries one type (across
 * the configured locations).
 */
const CLASS_TYPES: Record<string, string[]> = {
  tiny: ["ccx13", "cpx22", "cx23"],
  small: ["ccx23", "cpx32", "cx33"],
  standard: ["ccx33", "cpx62", "cx53"],
  fast: ["ccx43", "cpx62", "cx53"],
  large: ["ccx53", "ccx43", "cpx62", "cx53"],
  beast: ["ccx63", "ccx53", "ccx43", "cpx62", "cx53"],
};

/** CAX11 2 vCPU/4 GB, CAX21 4/8, CAX31 8/16, CAX41 16/32 (the largest arm64 type). */
const ARM_CLASS_TYPES: Record<string, string[]> = {
  tiny: ["cax11"],
  small: ["cax21"],
  standard: ["cax31"],
  fast: ["cax41"],
  large: ["cax41"],
  beast: ["cax41"],
};

export const CLASS_NAMES = Object.keys(CLASS_TYPES);

export type Arch = "amd64" | "arm64";

/** Hetzner server type names (cx23, cpx32, ccx63, cax11): what SPEC §2.4 lets --class name verbatim. */
const SERVER_TYPE_NAME = /^[a-z]{1,8}[0-9]{1,4}$/;

/** Hetzner's arm64 types are the CAX family. */
const isArmType = (type: string) => /^cax[0-9]/.test(type);

/** A problem with a class value, or null: it must be a class or look like a server type name. */
export function classProblem(value: string): string | null {
  if (Object.hasOwn(CLASS_TYPES, value) || SERVER_TYPE_NAME.test(value)) return null;
  return `${JSON.stringify(value)} is not a class (${CLASS_NAMES.join(", ")})`;
}

/** An explicit server type is tried alone; a class expands to its fallback list for the architecture. */
export function serverTypesFor(
  className: string,
  explicitType: string | undefined,
  arch: Arch = "amd64",
): string[] {
  if (explicitType) return [explicitType];
  const table = arch === "arm64" ? ARM_CLASS_TYPES : CLASS_TYPES;
  return table[className] ?? [className];
}

/**
 * An x86 type asked for with arm64, or null. (With the default amd64 an explicit CAX type is still allowed:
 * that is how arm64 was chosen before `architecture` existed.)
 */
export function architectureProblem(types: string[], arch: Arch): string | null {
  if (arch !== "arm64") return null;
  const wrong = types.find((t) => !isArmType(t));
  return wrong
    ? `server type ${wrong} is x86, but the architecture is arm64 (Hetzner's arm64 types: cax11, cax21, cax31, cax41)`
    : null;
}
