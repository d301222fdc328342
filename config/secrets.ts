/**
 * Secret rules (SPEC §12.4, §9.4). The token comes only from the environment; config files must not hold
 * secrets. Every message names the key and the pattern, never the value.
 */
import { isMap, isScalar, isSeq, type Node } from "yaml";

const SECRET_KEY = /token|secret|password|api[_-]?key|private[_-]?key/i;

const SECRET_VALUES: [RegExp, string][] = [
  [/^[A-Za-z0-9]{64}$/, "a 64-character token (Hetzner token shape)"],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, "a PEM private key"],
  [
    /(?:^|[^A-Za-z0-9])(?:ghp_|gho_|ghs_|github_pat_)[A-Za-z0-9_]+/,
    "a GitHub token (ghp_/gho_/ghs_/github_pat_)",
  ],
  [/(?:^|[^A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]+/, "a Slack token (xox…-)"],
  [/(?:^|[^A-Za-z0-9])AKIA[A-Z0-9]{16}(?![A-Za-z0-9])/, "an AWS access key id (AKIA…)"],
  [/(?:^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}/, "an API secret key (sk-…)"],
  [/(?:^|[^A-Za-z0-9])Bearer\s+\S+/, "a bearer token (Bearer …)"],
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with user:password@"],
];

/** The kind of secret a key name suggests, or null. */
export function secretKeyProblem(key: string): string | null {
  const found = key.match(SECRET_KEY);
  return found ? `is a secret-looking key name (contains "${found[0]}")` : null;
}

/** The name of the secret pattern a string matches, or null. */
export function looksLikeSecretValue(value: string): string | null {
  for (const [pattern, name] of SECRET_VALUES) if (pattern.test(value)) return name;
  return null;
}

/**
 * SPEC §9.4: names that carry credentials. Never forwarded by a prefix pattern, and rejected in the repo
 * config's allowlists.
 */
export function isTokenBearingName(name: string): boolean {
  const upper = name.toUpperCase();
  if (["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL"].some((w) => upper.includes(w))) {
    return true;
  }
  const segments = upper.split("_");
  return segments.some((s) => ["AUTH", "APIKEY", "PAT", "PRIVATE"].includes(s)) || upper.endsWith("_KEY");
}

export interface SecretFinding {
  node: Node;
  /** Dotted path of the key, e.g. `jobs.test.env.set.X` (list items as `junit[0]`). */
  path: string;
  problem: string;
}

/**
 * Every secret-looking key name and string value in a YAML tree, at any depth. Aliases are not followed:
 * what they point to is found once, where the anchor is written (following them is exponential in a bomb).
 */
export function findSecrets(node: Node | null, prefix = ""): SecretFinding[] {
  const found: SecretFinding[] = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : "?";
      const path = prefix ? `${prefix}.${name}` : name;
      const keyProblem = secretKeyProblem(name);
      if (keyProblem) found.push({ node: keyNode, path, problem: keyProblem });
      found.push(...findSecrets(pair.value as Node | null, path));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => found.push(...findSecrets(item as Node, `${prefix}[${i}]`)));
  } else if (isScalar(node) && typeof node.value === "string") {
    const pattern = looksLikeSecretValue(node.value);
    if (pattern) found.push({ node, path: prefix, problem: `has a value that looks like ${pattern}` });
  }
  return found;
}
