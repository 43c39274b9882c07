#!/usr/bin/env bash
# Development helper: build the release library with cargo and swap it in with an
# atomic rename, so node processes still running the old addon are not disturbed.
# (`npm run build` regenerates index.d.ts and binding.js; use it when the API changes.)
set -eu -o pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib
cp target/release/libferrogit.so ferrogit.linux-x64-gnu.node.tmp
mv -f ferrogit.linux-x64-gnu.node.tmp ferrogit.linux-x64-gnu.node
