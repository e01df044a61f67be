// `zswap dict train`: a zstd dictionary from a page corpus, for the zstd codec's dictionary
// option (compressorParams.dictionary, `zswap run --dict`).

import { DICT_BYTES_MAX, DICT_TRAIN_BYTES, DICT_TRAIN_PAGES_MAX } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { dictionaryTrainFile } from "../workload/dictionary.ts";
import { flagsParse } from "./flags.ts";
import { sizeParse } from "./units.ts";

export const DICT_USAGE = `zswap dict train --pages-from FILE --out DICT [--size SIZE]
  Trains a zstd dictionary (zstd's trainer, ZDICT_trainFromBuffer) on the pages of FILE, a page
  corpus (4096-byte pages back to back, as \`zswap capture\` writes), its first
  ${DICT_TRAIN_PAGES_MAX} pages, same-filled pages left out; writes it to DICT, a new file (never
  over an existing one) of mode 0600, whole or not at all.
  --size SIZE   the dictionary's largest size (default ${DICT_TRAIN_BYTES}B, at most 1MiB)`;

export async function dictCommand(
  argv: string[],
  signal: AbortSignal,
  print: (text: string) => void,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help") {
    print(DICT_USAGE);
    return 0;
  }
  if (sub !== "train") {
    throw new ZswapOptionError(`dict needs a subcommand: train (got ${JSON.stringify(sub)})`);
  }
  const f = flagsParse(rest, {
    "pages-from": { type: "string" },
    out: { type: "string" },
    size: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (f.help) {
    print(DICT_USAGE);
    return 0;
  }
  const from = f["pages-from"];
  if (from === undefined || from === "" || f.out === undefined || f.out === "") {
    throw new ZswapOptionError("dict train needs --pages-from FILE and --out DICT");
  }
  let bytes: number | undefined;
  if (f.size !== undefined) {
    const size = sizeParse("size", f.size, false);
    bytes = "bytes" in size ? size.bytes : 0;
    if (bytes < 256 || bytes > DICT_BYTES_MAX) {
      throw new ZswapOptionError(`--size must be 256B..1MiB, got ${JSON.stringify(f.size)}`);
    }
  }
  const t = await dictionaryTrainFile(from, f.out, bytes, signal);
  print(
    `wrote a ${t.dictionary.length}-byte zstd dictionary (id ${t.id}) to ${f.out}, trained on ` +
      `${t.pagesUsed} of ${t.pagesRead} pages of ${from}`,
  );
  return 0;
}
