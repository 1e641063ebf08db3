#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for SECONDS each, from its seed corpus in
# fuzz/corpus/<name>/ (copied to a scratch dir so the repo stays clean).
# Fails on the first crash, leak, UB report or timeout.
set -euo pipefail
dir=$(cd "${1:?usage: run-fuzzers.sh BUILD_FUZZ_DIR SECONDS}" && pwd)
secs=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shopt -s nullglob
targets=("$dir"/*_fuzz)
[ ${#targets[@]} -gt 0 ] || { echo "run-fuzzers: no targets in $dir" >&2; exit 1; }
for t in "${targets[@]}"; do
  name=$(basename "$t")
  mkdir -p "$work/$name"
  if [ -d "$root/fuzz/corpus/$name" ]; then cp -r "$root/fuzz/corpus/$name/." "$work/$name/"; fi
  echo "fuzz: $name for ${secs}s"
  ( cd "$work" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 "$work/$name" 2>"$work/$name.log" ) || {
    echo "fuzz: $name FAILED" >&2; tail -n 60 "$work/$name.log" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$name.log" | tr '\n' ' '; echo
done
echo "fuzz: ${#targets[@]} targets clean"
