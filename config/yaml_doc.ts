/**
 * One config file parsed with positions, so every problem can be reported as `file:line:col`.
 * Aliases are resolved through one table built in a single pass, and their total expansion is bounded
 * before anything walks the tree: an alias bomb ("billion laughs") is refused in linear time.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from "yaml";
import { configError } from "../core/errors.ts";

/**
 * Nodes that aliases may add to a file, summed over every alias. Real configs reuse a few small
 * anchors (hundreds of nodes); a bomb needs millions, and ten thousand is cheap to walk.
 */
const MAX_ALIAS_NODES = 10_000;

export interface ParsedYaml {
  path: string;
  /** The top-level map; null for an empty file (an empty map). */
  root: YAMLMap | null;
  /** `path:line:col` of a node (its start). */
  at(node: Node | null | undefined): string;
  line(node: Node | null | undefined): number;
  /** The plain JS value of a node (aliases resolved). */
  value(node: Node | null | undefined): unknown;
  /** A node with aliases resolved. */
  resolve(node: unknown): Node | null;
  /**
   * A map's pairs with YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) expanded: keys written in the
   * map win over merged ones, and an earlier merged map wins over a later one (the YAML merge rule).
   */
  pairs(map: YAMLMap): Pair[];
}

export function parseYaml(text: string, path: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const pos = (node: Node | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
  const at = (node: Node | null | undefined) => {
    const p = pos(node);
    return `${path}:${p.line}:${p.col}`;
  };
  const error = doc.errors[0];
  if (error) {
    const p = lines.linePos(error.pos[0]);
    throw configError(
      `${path}:${p.line}:${p.col}: ${error.message.split("\n")[0]}`,
      error.code === "DUPLICATE_KEY" ? "keep one of the duplicate keys" : "fix the YAML syntax at that spot",
    );
  }
  // yaml's own Alias.resolve walks the whole document on every call; one table keeps lookups O(1).
  const targets = aliasTargets(doc);
  const resolve = (node: unknown): Node | null =>
    isAlias(node) ? targets.get(node) ?? null : (node ?? null) as Node | null;
  const overflow = aliasOverflow(doc.contents as Node | null, resolve);
  if (overflow) {
    throw configError(
      `${at(overflow)}: YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes; refusing to expand them`,
      "reuse only small anchors (&name / *name), or write the values out",
    );
  }
  const contents = resolve(doc.contents);
  if (contents !== null && !isMap(contents)) {
    throw configError(
      `${at(contents)}: the config must be a map of keys (like "ttl: 2h"), not a list or a single value`,
      "see README: Configuration",
    );
  }
  const pairs = (map: YAMLMap) => mergedPairs(map, resolve, at);
  return {
    path,
    root: contents,
    at,
    line: (node) => pos(node).line,
    value: (node) => toPlain(resolve(node), resolve, pairs, new Map()),
    resolve,
    pairs,
  };
}

/** A plain `<<` key (a quoted "<<" is an ordinary key, as in YAML 1.1). */
function isMergeKey(node: unknown): boolean {
  return isScalar(node) && node.value === "<<" && node.type === "PLAIN";
}

/**
 * Expands merge keys. Safe to recurse: aliasOverflow has already refused any document whose aliases
 * expand without bound (a map merging itself included).
 */
function mergedPairs(
  map: YAMLMap,
  resolve: (node: unknown) => Node | null,
  at: (node: Node | null | undefined) => string,
): Pair[] {
  if (!map.items.some((pair) => isMergeKey(pair.key))) return map.items as Pair[];
  const own: Pair[] = [];
  const merged: Pair[] = [];
  for (const pair of map.items as Pair[]) {
    if (!isMergeKey(pair.key)) {
      own.push(pair);
      continue;
    }
    const source = resolve(pair.value);
    const sources = isSeq(source) ? source.items.map(resolve) : [source];
    for (const item of sources) {
      if (!isMap(item)) {
        throw configError(
          `${
            at((pair.value as Node | null) ?? (pair.key as Node))
          }: a merge key (<<) must name a map, like "<<: *defaults"`,
          "anchor a map (defaults: &defaults {…}) and merge it with <<: *defaults, or <<: [*a, *b]",
        );
      }
      merged.push(...mergedPairs(item, resolve, at));
    }
  }
  const seen = new Set(own.map((pair) => keyText(resolve(pair.key))));
  const out = [...own];
  for (const pair of merged) {
    const key = keyText(resolve(pair.key));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pair);
  }
  return out;
}

function keyText(node: Node | null): string {
  return isScalar(node) ? String(node.value) : `\u0000${String(node)}`;
}

/** Each alias → the last node anchored with its name before it (yaml's rule), in one document pass. */
function aliasTargets(doc: Parameters<typeof visit>[0]): Map<Node, Node | null> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | null>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, anchors.get(node.source) ?? null);
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Walks the tree expanding aliases and counts the nodes they add. Returns the alias, as written in the
 * document, at which the count passes MAX_ALIAS_NODES (a self-referencing alias always does), or null.
 * Iterative, so neither depth nor expansion can overflow the stack.
 */
function aliasOverflow(root: Node | null, resolve: (node: unknown) => Node | null): Node | null {
  let added = 0;
  const stack: { node: unknown; via: Node | null }[] = [{ node: root, via: null }];
  while (stack.length > 0) {
    const { node, via } = stack.pop()!;
    if (node === null || node === undefined) continue;
    if (via !== null && ++added > MAX_ALIAS_NODES) return via;
    if (isAlias(node)) {
      stack.push({ node: resolve(node), via: via ?? node });
      continue;
    }
    const children: unknown[] = isMap(node)
      ? node.items.flatMap((pair) => [pair.key, pair.value])
      : isSeq(node)
      ? node.items
      : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], via });
  }
  return null;
}

/**
 * The plain value of a node, as yaml's toJS gives it for the core schema: maps become objects with
 * string keys (set as own properties, so `__proto__` is just a name), an anchor converted once per call.
 */
function toPlain(
  node: Node | null,
  resolve: (node: unknown) => Node | null,
  pairs: (map: YAMLMap) => Pair[],
  seen: Map<Node, unknown>,
): unknown {
  if (node === null) return null;
  if (seen.has(node)) return seen.get(node);
  if (isScalar(node)) return node.value;
  if (isSeq(node)) {
    const list: unknown[] = [];
    seen.set(node, list);
    for (const item of node.items) list.push(toPlain(resolve(item), resolve, pairs, seen));
    return list;
  }
  if (isMap(node)) {
    const map: Record<string, unknown> = {};
    seen.set(node, map);
    for (const pair of pairs(node)) {
      const key = toPlain(resolve(pair.key), resolve, pairs, seen);
      Object.defineProperty(map, key === null ? "" : String(key), {
        value: toPlain(resolve(pair.value), resolve, pairs, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return map;
  }
  return null;
}
