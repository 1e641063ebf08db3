#!/usr/bin/env bash
# Cross-implementation interop suite (tests/interop/): our daemons against the
# TypeScript FIPS implementation @fips/core, installed once from its release
# tarball into build/interop (never into the repository). Skips with one line
# and exit 0 when node >= 18 or the tarball is missing.
#   FIPS_INTEROP_TARBALL  the tarball (default: ../shared/interop/fips-core-0.0.29.tgz
#                         beside the repository)
#   FIPS_BIN_DIR          directory with fips and fipsctl (default build/release/apps)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARBALL=${FIPS_INTEROP_TARBALL:-$ROOT/../shared/interop/fips-core-0.0.29.tgz}
export FIPS_BIN_DIR=${FIPS_BIN_DIR:-$ROOT/build/release/apps}

if ! command -v node >/dev/null 2>&1; then
  echo "interop: skipped (node not found; Node.js >= 18 runs the TypeScript peer)"; exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "interop: skipped (node $(node --version) is older than 18)"; exit 0
fi
if [ ! -f "$TARBALL" ]; then
  echo "interop: skipped (no TypeScript FIPS tarball at $TARBALL; set FIPS_INTEROP_TARBALL)"; exit 0
fi
TARBALL=$(realpath "$TARBALL")
[ -x "$FIPS_BIN_DIR/fips" ] && [ -x "$FIPS_BIN_DIR/fipsctl" ] || {
  echo "interop: no daemon binaries in $FIPS_BIN_DIR (build first)" >&2; exit 1; }

# Install @fips/core once per tarball (re-install when the tarball changes).
DEST=$ROOT/build/interop
stamp=$(sha256sum "$TARBALL" | cut -c1-16)
if [ ! -f "$DEST/.installed-$stamp" ] || [ ! -d "$DEST/node_modules/@fips/core" ]; then
  mkdir -p "$DEST"
  printf '{"private":true,"type":"module","dependencies":{"@fips/core":"file:%s"}}\n' "$TARBALL" >"$DEST/package.json"
  (cd "$DEST" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || {
    echo "interop: npm install of @fips/core failed" >&2; exit 1; }
  rm -f "$DEST"/.installed-*; touch "$DEST/.installed-$stamp"
fi
export FIPS_INTEROP_MODULES=$DEST/node_modules

start=$(date +%s)
# Scenario files run one after another (--test-concurrency=1): the daemons and
# the TS nodes share two cores and timing-sensitive waits.
cd "$ROOT"
opts=()
node --help | grep -q -- --test-concurrency && opts+=(--test-concurrency=1)
node --help | grep -q -- --test-reporter && opts+=(--test-reporter=spec)
# The scenarios bound every wait themselves; this only stops a hung runner.
timeout 600 node --test "${opts[@]}" tests/interop/*.test.mjs
echo "interop: passed in $(( $(date +%s) - start )) s"
