/** The command pages are a pure function of a commander tree: what each page holds, and what it leaves out. */
import assert from "node:assert/strict";
import { Argument, Command, Option } from "@commander-js/extra-typings";
import { pageFile, renderCommandPages } from "../../docs/command_pages.ts";

function tree(): Command {
  const root = new Command("tool").description("does things").option("--json", "print JSON")
    .version("1.0", "--version", "print the version");
  root.addCommand(
    new Command("fetch").alias("get").description("fetch a thing | or two")
      .addArgument(new Argument("<shell>", "which shell").choices(["bash", "zsh"]))
      .option("--limit <n>", "at most n", "20")
      .addOption(new Option("--mode <mode>", "how").choices(["fast", "slow"]))
      .addOption(new Option("--secret-knob").hideHelp())
      .option("--no-cache", "skip the cache")
      .addHelpText("after", "\nExamples:\n  tool fetch bash   \n"),
  );
  const group = new Command("pool").description("pools");
  group.addCommand(new Command("drain").description("drain idle boxes").option("--dry-run", "only say"));
  root.addCommand(group);
  return root as unknown as Command;
}

Deno.test("pages: one per command, named by path, the index first", () => {
  const pages = renderCommandPages(tree());
  assert.deepEqual(pages.map((p) => p.file), ["README.md", "fetch.md", "pool.md", "pool-drain.md"]);
  assert.equal(pageFile([]), "README.md");
  assert.equal(pageFile(["pool", "drain"]), "pool-drain.md");
});

Deno.test("a command page: usage, alias, arguments with choices, options with defaults, examples", () => {
  const fetch = renderCommandPages(tree()).find((p) => p.file === "fetch.md")!.text;
  assert.match(fetch, /^# tool fetch\n/);
  assert.match(fetch, /do not edit/);
  assert.match(fetch, /Alias: `tool get`\./);
  assert.match(fetch, /```text\ntool fetch\|get \[options\] <shell>\n```/);
  assert.match(fetch, /\| `<shell>` \| which shell \(one of `bash`, `zsh`\) \|/);
  assert.match(fetch, /\| `--limit <n>` \| at most n \| `20` \|/);
  assert.match(fetch, /\| `--mode <mode>` \| how \(one of `fast`, `slow`\) \| {2}\|/);
  assert.match(fetch, /\| `--no-cache` \| skip the cache \| {2}\|/);
  assert.doesNotMatch(fetch, /secret-knob/, "hidden options stay hidden");
  assert.match(fetch, /`--json`: see \[the command index\]\(README\.md#global-options\)/);
  assert.doesNotMatch(fetch, /--version/, "root-only flags are not global");
  assert.match(fetch, /## Examples and notes\n\n```text\nExamples:\n {2}tool fetch bash\n```\n$/);
});

Deno.test("the index: every command linked, with its aliases; global options; escaped cells", () => {
  const pages = renderCommandPages(tree());
  const index = pages[0].text;
  assert.match(index, /\| \[`tool fetch`\]\(fetch\.md\), `get` \| fetch a thing \\\| or two \|/);
  assert.match(index, /\| \[`tool pool drain`\]\(pool-drain\.md\) \| drain idle boxes \|/);
  assert.match(index, /\| `--json` \| print JSON \| {2}\|/);
  assert.match(index, /- `tool --version`: print the version/);
  const pool = pages.find((p) => p.file === "pool.md")!.text;
  assert.match(pool, /\| \[`tool pool drain`\]\(pool-drain\.md\) \| drain idle boxes \|/);
  assert.doesNotMatch(pool, /pool help/, "commander's implicit help subcommand is not a page");
});
