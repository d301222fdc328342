/**
 * The real Prompter: @clack/prompts on stdin and stderr (stdout stays for results, `init --print`).
 * The library is imported on the first question, so `--version`, `--help` and every other command never
 * load it.
 */
import process from "node:process";
import type { Prompter } from "./deps.ts";

type Clack = typeof import("@clack/prompts");
let clack: Promise<Clack> | null = null;
const load = () => (clack ??= import("@clack/prompts"));

const streams = () => ({ input: process.stdin, output: process.stderr });

export const realPrompter: Prompter = {
  get interactive() {
    return !!process.stdin.isTTY && !!process.stderr.isTTY;
  },
  async select({ message, choices, initial, signal }) {
    const prompts = await load();
    const answer = await prompts.select({
      message,
      options: choices,
      initialValue: initial,
      signal,
      ...streams(),
    });
    return prompts.isCancel(answer) ? null : answer;
  },
  async text({ message, initial, validate, signal }) {
    const prompts = await load();
    const answer = await prompts.text({
      message,
      initialValue: initial,
      validate: validate ? (value) => validate(value ?? "") ?? undefined : undefined,
      signal,
      ...streams(),
    });
    return prompts.isCancel(answer) ? null : answer;
  },
};
