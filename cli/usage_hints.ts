/**
 * Better hints than commander's "run '… --help' for usage" for a command's missing argument: a command
 * registers what would help (the jobs that exist, say), and main.ts asks when commander reports one.
 */
import type { CommandContext } from "./context.ts";

type Hint = (ctx: CommandContext) => Promise<string>;

const hints = new WeakMap<object, Hint>();

/** Registers the hint for a missing argument of `command`; returns the command, to chain. */
export function withMissingArgumentHint<T extends object>(command: T, hint: Hint): T {
  hints.set(command, hint);
  return command;
}

/** The registered hint for `command`, or null when there is none or it cannot be worked out. */
export async function missingArgumentHint(command: object, ctx: CommandContext): Promise<string | null> {
  const hint = hints.get(command);
  return hint ? await hint(ctx).catch(() => null) : null;
}
