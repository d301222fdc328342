/**
 * The origin the box may fetch from (SPEC §10.6): credential-free only, so credentials never reach a
 * box. `git@host:o/r(.git)` becomes `https://host/o/r.git`.
 */
export type OriginVerdict = { origin: string } | { origin: null; reason: string };

export function boxOrigin(raw: string | null): OriginVerdict {
  const url = raw?.trim() ?? "";
  if (url === "") return { origin: null, reason: "no origin remote" };
  const scp = url.match(/^git@([^:/]+):(.+?)(\.git)?$/);
  if (scp) return { origin: `https://${scp[1]}/${scp[2]}.git` };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { origin: null, reason: "origin is not a URL" };
    }
    if (parsed.username || parsed.password) {
      return { origin: null, reason: "origin URL carries credentials; they are never sent to a box" };
    }
    return { origin: url };
  }
  // A local path (or file: URL): only useful where the box can see it, harmless otherwise.
  return { origin: url };
}
