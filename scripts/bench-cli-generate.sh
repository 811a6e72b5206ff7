#!/usr/bin/env bash
# CLI end to end: `ims-codegen generate --sdd FILE` (release build), as a user runs it. Prints
# every run and the median. Default input: the official OneRoster 1.2 Rostering SDD in
# ../shared/ims/real-sdd/ or $IMS_REAL_SDD_DIR (1EdTech's file, read as a test input only). Target: < 0.1 s median
# on the 2-core CI machine. The in-process stage figures are `cargo bench -p ims-codegen --bench pipeline`.
# With --bundled: every bundled spec model (spec-models/*/model.yaml) in one run. Target: < 0.5 s.
#
#   scripts/bench-cli-generate.sh [SDD] [RUNS]
#   scripts/bench-cli-generate.sh --bundled [RUNS]
set -euo pipefail
. "$(dirname "$0")/bench-timing.sh"

repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = "--bundled" ]; then
    inputs=("$repo"/spec-models/*/model.yaml)
    what="${#inputs[@]} bundled spec models"
    runs="${2:-5}"
else
    sdd="${1:-${IMS_REAL_SDD_DIR:-$repo/../shared/ims/real-sdd}/or_v1p2_rostering_oas3.json}"
    inputs=(--sdd "$sdd")
    what="--sdd $(basename "$sdd")"
    runs="${2:-5}"
fi
[ "${1:-}" = "--bundled" ] || [ -f "$sdd" ] || {
    echo "error: $sdd not found: the official 1EdTech SDDs live in ../shared/ims/real-sdd/ (the team's shared folder beside the clone; see its SOURCES.md) or in \$IMS_REAL_SDD_DIR" >&2
    exit 2
}
target="${CARGO_TARGET_DIR:-$HOME/.cache/ims-codegen-target}"
echo "building ims-codegen (release, not measured)..."
cargo build --quiet --release -p ims-codegen --manifest-path "$repo/Cargo.toml"
bin="$target/release/ims-codegen"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

"$bin" generate --quiet "${inputs[@]}" --out "$out" >/dev/null 2>&1 # warm-up: page cache, first write
times=()
for i in $(seq 1 "$runs"); do
    rm -f "$out"/*.rs
    start=$(date +%s%N)
    "$bin" generate --quiet "${inputs[@]}" --out "$out" >/dev/null 2>&1
    end=$(date +%s%N)
    t=$(elapsed "$start" "$end")
    times+=("$t")
    printf 'run %d: %s s\n' "$i" "$t"
done
median=$(median "${times[@]}")
printf 'generate %s: median of %d runs: %s s (%s lines written)\n' \
    "$what" "$runs" "$median" "$(cat "$out"/*.rs | wc -l)"
