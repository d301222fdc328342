import { loadDerivedSpec } from "./contract/spec.ts";
import assert from "node:assert/strict";
Deno.test("derived spec loads", () => {
  assert(loadDerivedSpec().paths["/servers"]);
});
