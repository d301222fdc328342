/** Writes docs/configuration.md and docs/crabbox.schema.json from the config tables (deno task gen:docs). */
import { renderJsonSchema, renderReference } from "../config/reference.ts";

const dir = new URL(".", import.meta.url);
await Deno.writeTextFile(new URL("configuration.md", dir), renderReference());
await Deno.writeTextFile(
  new URL("crabbox.schema.json", dir),
  JSON.stringify(renderJsonSchema(), null, 2) + "\n",
);
console.log("wrote docs/configuration.md and docs/crabbox.schema.json");
