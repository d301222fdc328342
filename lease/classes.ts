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

/** An explicit server type is tried alone; a class expands to its fallback list. */
export function serverTypesFor(className: string, explicitType: string | undefined): string[] {
  if (explicitType) return [explicitType];
  return CLASS_TYPES[className] ?? [className];
}
