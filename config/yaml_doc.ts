/** One config file parsed with positions, so every problem can be reported as `file:line:col`. */
import { type Document, isAlias, isMap, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { configError } from "../core/errors.ts";

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
  const resolve = (node: unknown): Node | null =>
    isAlias(node)
      ? (node.resolve(doc as Document) as Node | undefined) ?? null
      : (node ?? null) as Node | null;
  const contents = resolve(doc.contents);
  if (contents !== null && !isMap(contents)) {
    throw configError(
      `${at(contents)}: the config must be a map of keys (like "ttl: 2h"), not a list or a single value`,
      "see README: Configuration",
    );
  }
  return {
    path,
    root: contents,
    at,
    line: (node) => pos(node).line,
    value: (node) => {
      const resolved = resolve(node);
      return resolved === null ? null : (resolved as unknown as { toJS(d: Document): unknown }).toJS(doc);
    },
    resolve,
  };
}
