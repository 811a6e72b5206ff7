#!/usr/bin/env bash
# Generated-code compile time: `cargo check` of ONE generated module (default: OneRoster 1.2
# Rostering, with its models, server and client) in a scratch crate whose dependencies
# (ims-runtime and everything below it) are prebuilt, so only the generated code is measured.
#
#   scripts/bench-generated-compile.sh [MODULE] [RUNS]
#
# Prints every run and the median. Target: <= 5 s on the 2-core CI machine.
set -euo pipefail
. "$(dirname "$0")/bench-timing.sh"

module="${1:-oneroster_v1p2_rostering}"
runs="${2:-5}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$HOME/.cache/ims-codegen-target}"
root="$target/compile-bench"
src="$repo/generated-example/src/generated/$module.rs"
[ -f "$src" ] || { echo "error: $src not found (run scripts/generate-examples.sh)" >&2; exit 2; }

mkdir -p "$root/crate/src"
cat > "$root/crate/Cargo.toml" <<TOML
[package]
name = "ims-compile-bench"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
ims-runtime = { path = "$repo/runtime" }

# Not part of the outer workspace.
[workspace]
TOML
cp "$repo/Cargo.lock" "$root/crate/Cargo.lock"
cp "$src" "$root/crate/src/$module.rs"
lib="$root/crate/src/lib.rs"
printf '//! Compile-time benchmark of one generated module.\n\npub mod %s;\n' "$module" > "$lib"

export CARGO_TARGET_DIR="$root/target"
echo "prebuilding dependencies (not measured)..."
cargo check --quiet --manifest-path "$root/crate/Cargo.toml"

times=()
for i in $(seq 1 "$runs"); do
    # A new comment changes the crate's source hash: cargo re-checks this crate only.
    printf '//! Compile-time benchmark of one generated module.\n\npub mod %s;\n// run %s %s\n' "$module" "$i" "$(date +%s%N)" > "$lib"
    start=$(date +%s%N)
    cargo check --quiet --manifest-path "$root/crate/Cargo.toml"
    end=$(date +%s%N)
    t=$(elapsed "$start" "$end")
    times+=("$t")
    printf 'run %d: %.2f s\n' "$i" "$t"
done
median=$(median "${times[@]}")
printf '%s: cargo check of the generated module, median of %d runs: %.2f s (%s lines)\n' \
    "$module" "$runs" "$median" "$(wc -l < "$src")"
