/** Writes tests/cmd/golden/ (deno task gen:golden): every command's help and error texts; stale files go. */
import { GOLDEN_DIR, renderGolden } from "./golden.ts";

const files = await renderGolden();
await Deno.mkdir(GOLDEN_DIR, { recursive: true });
for await (const entry of Deno.readDir(GOLDEN_DIR)) {
  if (entry.isFile && !files.has(entry.name)) {
    await Deno.remove(new URL(entry.name, GOLDEN_DIR));
    console.log(`removed tests/cmd/golden/${entry.name}`);
  }
}
for (const [name, text] of files) await Deno.writeTextFile(new URL(name, GOLDEN_DIR), text);
console.log(`wrote ${files.size} files under tests/cmd/golden/`);
