// Flags of a subcommand: node's parseArgs, strict, with its errors in the user's terms.

import { type ParseArgsConfig, parseArgs } from "node:util";
import { ZswapOptionError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The values parseArgs returns for `options`, strict and without positionals. */
export type FlagValues<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>["values"];

/**
 * The flags' values; an unknown flag, a missing value, a stray argument or a flag given twice
 * (which of the two was meant?) is ZSWAP_E_OPTION.
 */
export function flagsParse<O extends Options>(argv: string[], options: O): FlagValues<O> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ZswapOptionError(ambiguousExplain(message, argv) ?? message.split("\n")[0]);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new ZswapOptionError(`--${token.name} is given twice`);
    seen.add(token.name);
  }
  return parsed.values as FlagValues<O>;
}

/** parseArgs' "argument is ambiguous" (`--accesses -5`), said as what to type instead. */
function ambiguousExplain(message: string, argv: string[]): string | undefined {
  const flag = /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message)?.[1];
  const next = flag === undefined ? undefined : argv[argv.indexOf(flag) + 1];
  if (flag === undefined || next === undefined) return undefined;
  if (next.startsWith("--")) return `${flag} needs a value before ${next}`;
  return `${flag} needs a value, and "${next}" reads as a flag: write ${flag}=${next}`;
}

/** Refuses each of `names` that was given: `--name <reason>`. */
export function flagsRefuse(
  values: Record<string, unknown>,
  names: readonly string[],
  reason: string,
): void {
  for (const name of names) {
    if (values[name] !== undefined) {
      throw new ZswapOptionError(`--${name} ${reason}`);
    }
  }
}
