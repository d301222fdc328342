/** Secret rules (SPEC §12.4, §9.4). Messages name the pattern, never the value. */
import { isScalar, type Node } from "yaml";

const SECRET_KEY = /token|secret|password|api_?key|privatekey/i;

const SECRET_VALUES: [RegExp, string][] = [
  [/^[A-Za-z0-9]{64}$/, "a 64-character token"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/\b(ghp_|gho_|ghs_|github_pat_)[A-Za-z0-9_]+/, "a GitHub token"],
  [/\bxox[abprs]-[A-Za-z0-9-]+/, "a Slack token"],
  [/\bAKIA[A-Z0-9]{16}\b/, "an AWS access key"],
  [/\bsk-[A-Za-z0-9_-]{20,}/, "an API secret key (sk-…)"],
  [/\bBearer\s+\S+/, "a bearer token"],
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password"],
];

export function secretKeyProblem(key: string): string | null {
  return SECRET_KEY.test(key) ? `a secret-looking key name "${key}"` : null;
}

export function looksLikeSecretValue(value: string): string | null {
  for (const [pattern, name] of SECRET_VALUES) if (pattern.test(value)) return name;
  return null;
}

export function secretValueProblem(node: Node | null): string | null {
  if (!isScalar(node) || typeof node.value !== "string") return null;
  const found = looksLikeSecretValue(node.value);
  return found ? `a value that looks like ${found}` : null;
}

/** SPEC §9.4: names that carry credentials are never forwarded by patterns. */
export function isTokenBearingName(name: string): boolean {
  const upper = name.toUpperCase();
  if (["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL"].some((w) => upper.includes(w))) {
    return true;
  }
  const segments = upper.split("_");
  return segments.some((s) => ["AUTH", "APIKEY", "PAT", "PRIVATE"].includes(s)) || upper.endsWith("_KEY");
}
