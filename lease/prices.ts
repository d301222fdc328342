/**
 * Server-type prices from GET /server_types, cached for a day per API endpoint in the state dir
 * (`prices.json`, through Deps fs, aged on the Deps clock). Prices are decoration: a failed fetch falls
 * back to a stale cache, else to no prices ("?"), and never fails the command.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { type PriceTable, priceTableFrom } from "./cost.ts";
import { stateDir } from "./store.ts";

export const PRICE_CACHE_MS = 24 * 3600 * 1000;
/** One fetch never holds a command up for long: prices only decorate it. */
const FETCH_BUDGET_MS = 10_000;

type PriceDeps = Pick<Deps, "fs" | "env" | "system" | "clock">;

interface CacheEntry {
  fetchedAtMs: number;
  table: PriceTable;
}

/** Loads the table at most once per invocation; every caller shares the answer. */
export interface PriceSource {
  table(): Promise<PriceTable | null>;
}

export interface PriceSourceOptions {
  /** The cache key: prices (and VAT) belong to one API endpoint's project. */
  endpoint: string;
  /** The invocation's interrupt: Ctrl-C does not wait for a price. */
  signal?: AbortSignal;
  debug?: (message: string) => void;
}

export function priceSource(deps: PriceDeps, api: HetznerApi, options: PriceSourceOptions): PriceSource {
  let loading: Promise<PriceTable | null> | null = null;
  return {
    table: () => (loading ??= loadPrices(deps, api, options)),
  };
}

/** Fresh cache → it; else fetch and store; on failure a stale cache, else null. Never throws. */
export async function loadPrices(
  deps: PriceDeps,
  api: HetznerApi,
  { endpoint, signal, debug = () => {} }: PriceSourceOptions,
): Promise<PriceTable | null> {
  const cache = await readCache(deps);
  const cached = cache[endpoint];
  const age = cached ? deps.clock.now() - cached.fetchedAtMs : Infinity;
  // A stamp from the future (a clock set back) is not trusted to be fresh.
  if (cached && age >= 0 && age < PRICE_CACHE_MS) return cached.table;
  try {
    const budget = AbortSignal.timeout(FETCH_BUDGET_MS);
    const types = await api.listServerTypes({ signal: signal ? AbortSignal.any([signal, budget]) : budget });
    const table = priceTableFrom(types);
    cache[endpoint] = { fetchedAtMs: deps.clock.now(), table };
    await writeCache(deps, cache).catch((error) => debug(`prices: cache not written: ${error.message}`));
    return table;
  } catch (error) {
    debug(`prices: GET /server_types failed: ${(error as Error).message}`);
    return cached?.table ?? null;
  }
}

const cachePath = (deps: PriceDeps) => join(stateDir(deps), "prices.json");

async function readCache(deps: PriceDeps): Promise<Record<string, CacheEntry>> {
  try {
    const parsed = JSON.parse(await deps.fs.readTextFile(cachePath(deps)));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(([, entry]) => isEntry(entry)),
    ) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

function isEntry(value: unknown): value is CacheEntry {
  const entry = value as CacheEntry | null;
  return typeof entry?.fetchedAtMs === "number" && typeof entry.table === "object" && entry.table !== null;
}

async function writeCache(deps: PriceDeps, cache: Record<string, CacheEntry>): Promise<void> {
  await deps.fs.mkdir(stateDir(deps), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(cachePath(deps), JSON.stringify(cache) + "\n", { mode: 0o600 });
}
