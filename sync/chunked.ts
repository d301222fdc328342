/**
 * Long texts built from one piece per file (a digest's input, a NUL list on a child's stdin), without
 * ever holding the whole text as one string or a piece per file in an array: pieces are gathered into
 * strings of about 64 KiB, each hashed or encoded as it fills. On a 20k-file tree that is megabytes of
 * heap a sync no longer peaks with (issue 10, P7).
 */
import { createHash } from "node:crypto";

const CHUNK = 64 * 1024;

/** Collects pieces and hands them on a chunk at a time. */
class Chunker {
  #pending = "";
  readonly #flush: (chunk: string) => void;

  constructor(flush: (chunk: string) => void) {
    this.#flush = flush;
  }

  add(piece: string): void {
    this.#pending += piece;
    if (this.#pending.length >= CHUNK) this.end();
  }

  end(): void {
    if (this.#pending) this.#flush(this.#pending);
    this.#pending = "";
  }
}

/** sha256 (hex) of the pieces' concatenation, equal to hashing the joined text (UTF-8). */
export function sha256OfPieces(pieces: Iterable<string>): string {
  const hash = createHash("sha256");
  const chunker = new Chunker((chunk) => hash.update(chunk));
  for (const piece of pieces) chunker.add(piece);
  chunker.end();
  return hash.digest("hex");
}

/** The UTF-8 bytes of the pieces' concatenation. */
export function encodePieces(pieces: Iterable<string>): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const chunker = new Chunker((chunk) => parts.push(encoder.encode(chunk)));
  for (const piece of pieces) chunker.add(piece);
  chunker.end();
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** at(i) for each index (0 … n-1, or those given), made as asked: pieces from index-aligned lists. */
export function* byIndex<T>(indices: number | Iterable<number>, at: (i: number) => T): Generator<T> {
  if (typeof indices !== "number") {
    for (const i of indices) yield at(i);
    return;
  }
  for (let i = 0; i < indices; i++) yield at(i);
}

/** Each path followed by NUL, the form `--from0` lists and the box's scripts read. */
export function* nulTerminated(paths: Iterable<string>): Generator<string> {
  for (const path of paths) yield path + "\0";
}
