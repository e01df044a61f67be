#!/usr/bin/env bash
# The packed tarball carries the codec binary. `npm pack` (its prepack builds the prebuilt
# N-API binary), then the tarball is installed into an empty project with no C compiler
# (CC=false CXX=false), once with install scripts run and once with them skipped (pnpm 10's
# default), and each time pages of every permissive codec are swapped out and back in through
# the public API, zswap storing them compressed, and lzo is refused as not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(echo "$work"/zswap-ts-*.tgz)
listing=$(tar -tzf "$tarball")
grep -qx 'package/native/prebuilds/linux-x64/zswap_codecs.*\.node' <<<"$listing" ||
  { echo "tarball-codecs: no prebuilt linux-x64 binary in $tarball" >&2; exit 1; }
if grep -q '^package/native/build/' <<<"$listing"; then
  echo "tarball-codecs: the tarball holds a local build (native/build)" >&2
  exit 1
fi

cat >"$work/check.mjs" <<'JS'
import assert from "node:assert/strict";
import { compressorsAvailable, MemoryDevice, PAGE_SIZE, SwapSpace } from "zswap-ts";

assert.deepEqual(compressorsAvailable(), ["lz4", "lz4hc", "zstd", "deflate"]);
for (const compressor of ["lz4", "lz4hc", "zstd"]) {
  const swap = await SwapSpace.open({
    slots: 64,
    device: new MemoryDevice({ slots: 64 }),
    zswap: { maxPoolBytes: 1 << 20, compressor },
  });
  const pages = Array.from({ length: 8 }, (_, i) =>
    Uint8Array.from({ length: PAGE_SIZE }, (_, j) => (j * (i + 3)) % 251),
  );
  const slots = [];
  for (const page of pages) slots.push(await swap.swapOut(page));
  const back = new Uint8Array(PAGE_SIZE);
  for (const [i, slot] of slots.entries()) {
    await swap.swapIn(slot, back);
    assert.deepEqual(back, pages[i], `${compressor}: page ${i} came back`);
  }
  const s = swap.stats();
  assert.equal(s.zswpout, pages.length, `${compressor}: every page stored compressed`);
  assert.equal(s.zswpin, pages.length, `${compressor}: every page loaded from zswap`);
  await swap.close();
}
await assert.rejects(
  SwapSpace.open({ slots: 1, device: new MemoryDevice({ slots: 1 }), zswap: { compressor: "lzo" } }),
  (err) => err.code === "ZSWAP_E_COMPRESSOR" && /GPL-2\.0-or-later/.test(err.message),
);
console.log("ok: lz4, lz4hc and zstd pages round-trip through SwapSpace; lzo refused");
JS

for mode in run-scripts ignore-scripts; do
  dir="$work/$mode"
  mkdir -p "$dir"
  cp "$work/check.mjs" "$dir/"
  echo '{ "name": "consumer", "private": true, "type": "module" }' >"$dir/package.json"
  flags=(--no-audit --no-fund --silent)
  [ "$mode" = ignore-scripts ] && flags+=(--ignore-scripts)
  (cd "$dir" && CC=false CXX=false npm install "${flags[@]}" "$tarball")
  [ ! -e "$dir/node_modules/zswap-ts/native/build" ] ||
    { echo "tarball-codecs: $mode: the install compiled the addon" >&2; exit 1; }
  # Until the package ships compiled JavaScript, its TypeScript entry needs the tsx loader.
  loader=()
  [ -d "$dir/node_modules/tsx" ] && loader=(--import tsx)
  echo "tarball-codecs: $mode:"
  (cd "$dir" && CC=false CXX=false node "${loader[@]}" check.mjs)
done
