/** Pagination rules of SPEC §6: per_page=50, meta.pagination.next_page, else Link rel="next"; ≤200 pages. */

const PER_PAGE = 50;
const MAX_PAGES = 200;

/**
 * The page to fetch next, or null at the end. A number or null in `meta.pagination.next_page` decides;
 * when meta is missing or malformed, the `Link` header's rel="next" URL does.
 */
export function nextPage(body: unknown, link: string | null): number | null {
  const fromMeta = (body as { meta?: { pagination?: { next_page?: unknown } } } | null)?.meta?.pagination
    ?.next_page;
  if (typeof fromMeta === "number" && Number.isInteger(fromMeta)) return fromMeta;
  if (fromMeta === null) return null;
  return nextPageFromLink(link);
}

export function nextPageFromLink(link: string | null): number | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const [target, ...params] = part.split(";");
    if (!params.some((p) => /^\s*rel="?next"?\s*$/i.test(p))) continue;
    const url = target.trim().match(/^<([^>]+)>$/)?.[1];
    if (!url) return null;
    const page = Number(new URL(url, "http://relative.invalid").searchParams.get("page"));
    return Number.isInteger(page) && page > 0 ? page : null;
  }
  return null;
}

/** `path?query&page=N&per_page=50`; undefined query values are left out. */
export function pageUrl(path: string, query: Record<string, string | undefined>, page: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  params.set("page", String(page));
  params.set("per_page", String(PER_PAGE));
  return `${path}?${params}`;
}

/** Why the walk must stop with an error before fetching `page`, or null to go on. */
export function pageProblem(page: number, seen: ReadonlySet<number>): string | null {
  if (seen.has(page)) return `page ${page} was returned twice`;
  if (seen.size >= MAX_PAGES) return `more than ${MAX_PAGES} pages`;
  return null;
}
