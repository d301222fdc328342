/** Class → server types tried in order (SPEC §5.2). Any other class string is used verbatim as a type. */
const CLASS_TYPES: Record<string, string[]> = {
  tiny: ["ccx13", "cpx22", "cx23"],
  small: ["ccx23", "cpx32", "cx33"],
  standard: ["ccx33", "cpx62", "cx53"],
  fast: ["ccx43", "cpx62", "cx53"],
  large: ["ccx53", "ccx43", "cpx62", "cx53"],
  beast: ["ccx63", "ccx53", "ccx43", "cpx62", "cx53"],
};

export const CLASS_NAMES = Object.keys(CLASS_TYPES);

/** Hetzner server type names (cx23, cpx32, ccx63, cax11): what SPEC §2.4 lets --class name verbatim. */
const SERVER_TYPE_NAME = /^[a-z]{1,8}[0-9]{1,4}$/;

/** A problem with a class value, or null: it must be a class or look like a server type name. */
export function classProblem(value: string): string | null {
  if (Object.hasOwn(CLASS_TYPES, value) || SERVER_TYPE_NAME.test(value)) return null;
  return `${JSON.stringify(value)} is not a class (${CLASS_NAMES.join(", ")})`;
}

/** An explicit server type is tried alone; a class expands to its fallback list. */
export function serverTypesFor(className: string, explicitType: string | undefined): string[] {
  if (explicitType) return [explicitType];
  return CLASS_TYPES[className] ?? [className];
}
