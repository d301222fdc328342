/**
 * Second line of defence: nothing crabbox writes may contain the API token or a bearer header
 * (docs/security.md describes what is redacted where).
 */

const BEARER = /Bearer\s+\S+/gi;

export class Redactor {
  #secrets: string[] = [];

  /** Register a secret value (the token, forwarded env values). Short values would mangle output. */
  add(secret: string | undefined): void {
    if (secret && secret.length >= 6 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
  }

  redact(text: string): string {
    let out = text.replace(BEARER, "Bearer ***");
    for (const secret of this.#secrets) out = out.split(secret).join("***");
    return out;
  }
}
