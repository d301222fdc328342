/** Label value sanitizer (SPEC §3.1): [A-Za-z0-9_.-], ≤ 63 bytes, alphanumeric ends, never empty. */
export function sanitizeLabelValue(input: string): string {
  const trimmed = input.trim();
  if (trimmed === "") return "unknown";
  const replaced = [...trimmed].map((ch) => (/^[A-Za-z0-9_.-]$/.test(ch) ? ch : "_")).join("").slice(0, 63);
  const cut = replaced.replace(/^[_.-]+|[_.-]+$/g, "");
  return cut === "" ? "unknown" : cut;
}
