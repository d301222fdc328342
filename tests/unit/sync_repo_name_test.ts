/** Repo name (SPEC §10.7) and the origin a box may fetch from (SPEC §10.6). */
import assert from "node:assert/strict";
import { repoNameFromUrl } from "../../sync/repo_name.ts";
import { boxOrigin } from "../../sync/origin.ts";

Deno.test("repo name: last origin segment without .git, else the git root, sanitized", () => {
  const rows: [string | null, string, string][] = [
    ["https://github.com/openclaw/crabbox.git", "/src/x", "crabbox"],
    ["git@github.com:openclaw/crabbox.git", "/src/x", "crabbox"],
    ["git@github.com:openclaw/crabbox", "/src/x", "crabbox"],
    ["ssh://git@host:2222/team/web-app.git/", "/src/x", "web-app"],
    ["/srv/git/mirror.git", "/src/x", "mirror"],
    [null, "/home/a/My Project", "My_Project"],
    ["", "/home/a/webapp", "webapp"],
    ["https://host/ü-repo.git", "/x", "repo"],
  ];
  for (const [origin, root, expected] of rows) {
    assert.equal(repoNameFromUrl(origin, root), expected, `${origin}`);
  }
});

Deno.test("origin: credential-free only; scp-style becomes https", () => {
  const rows: [string | null, string | null][] = [
    ["git@github.com:o/r.git", "https://github.com/o/r.git"],
    ["git@github.com:o/r", "https://github.com/o/r.git"],
    ["https://github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://x-access-token:ghp_abc@github.com/o/r.git", null],
    ["https://ghp_abc@github.com/o/r.git", null],
    ["", null],
    [null, null],
  ];
  for (const [raw, expected] of rows) assert.equal(boxOrigin(raw).origin, expected, `${raw}`);
  const refused = boxOrigin("https://user:pw@host/o/r.git");
  assert.ok(refused.origin === null && !("reason" in refused && refused.reason.includes("pw")));
});
