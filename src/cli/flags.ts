// Flags of a subcommand: node's parseArgs, strict, with its errors in the user's terms.

import { type ParseArgsConfig, parseArgs } from "node:util";
import { ZswapOptionError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The values parseArgs returns for `options`, strict and without positionals. */
export type FlagValues<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>["values"];

/** The flags' values; an unknown flag, a missing value or a stray argument is ZSWAP_E_OPTION. */
export function flagsParse<O extends Options>(argv: string[], options: O): FlagValues<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ZswapOptionError(message.split("\n")[0]);
  }
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
