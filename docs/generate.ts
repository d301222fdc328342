/**
 * Writes every generated doc (deno task gen:docs): the configuration reference and JSON Schema, the exit
 * codes and one page per command under docs/commands/, whose stale pages are removed.
 */
import { COMMANDS_DIR, generatedDocs } from "./pages.ts";

const dir = new URL(".", import.meta.url);
const docs = generatedDocs();
await Deno.mkdir(new URL(`${COMMANDS_DIR}/`, dir), { recursive: true });
for await (const entry of Deno.readDir(new URL(`${COMMANDS_DIR}/`, dir))) {
  const path = `${COMMANDS_DIR}/${entry.name}`;
  if (entry.isFile && entry.name.endsWith(".md") && !docs.has(path)) {
    await Deno.remove(new URL(path, dir));
    console.log(`removed docs/${path}`);
  }
}
for (const [path, text] of docs) await Deno.writeTextFile(new URL(path, dir), text);
console.log(`wrote ${docs.size} files under docs/`);
