/**
 * The README works from a fresh clone: it names the command that runs the tests and the one that
 * tries the product, those files exist and are executable, and nothing in the repository links
 * outside it (a clone has no ../shared): every relative link in a Markdown file resolves, down to the
 * heading it names.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUTSIDE = new RegExp(["\\.\\.", "shared", ""].join("/"));

/** The anchors GitHub gives a Markdown file's headings (lowercase, punctuation dropped, spaces to -). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

async function tracked(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-co", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test("README: the test command and the try command are there, and they exist", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
  for (const command of ["./tools/test", "./tools/try", "./tools/harness", "./crabbox --help"]) {
    assert.ok(blocks.split("\n").some((line) => line.startsWith(command)), `README runs ${command}`);
    const file = command.split(" ")[0];
    assert.ok(((await Deno.stat(`${ROOT}${file}`)).mode ?? 0) & 0o100, `${file} is executable`);
  }
  assert.match(readme, /default class\s\*\*`beast`\*\*.*ccx63/s, "the quick start states the default class");
  assert.match(readme, /€[0-9.]+ an hour/, "and what it costs");
});

Deno.test("no file in the repository links outside it", async () => {
  const problems: string[] = [];
  for (const path of await tracked()) {
    if (!/\.(md|ts|sh|json|ya?ml)$|^tools\/|^crabbox$/.test(path) || path.endsWith(".gz")) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(join(ROOT, path));
    } catch {
      continue; // deleted in the work tree
    }
    // The steering workspace beside the project's checkout, which a clone does not have.
    if (OUTSIDE.test(text)) problems.push(`${path}: mentions ${OUTSIDE.source}`);
    if (!path.endsWith(".md")) continue;
    const prose = text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [file, anchor] = target.split("#");
      const resolved = file === "" ? join(ROOT, path) : normalize(join(dirname(join(ROOT, path)), file));
      if (relative(ROOT, resolved).startsWith("..")) {
        problems.push(`${path}: ${target} leaves the repository`);
      } else if (!(await Deno.stat(resolved).catch(() => null))) {
        problems.push(`${path}: ${target} does not exist`);
      } else if (anchor !== undefined && resolved.endsWith(".md")) {
        if (!headingAnchors(await Deno.readTextFile(resolved)).has(anchor)) {
          problems.push(`${path}: ${target} names no heading of ${relative(ROOT, resolved)}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});
