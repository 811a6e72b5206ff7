#!/usr/bin/env bash
# Bounded coverage-guided fuzzing of every parser that takes outside input (fuzz/README.md):
# installs cargo-fuzz (pinned) if missing, builds the targets of fuzz/, runs each for
# FUZZ_SECONDS on a scratch copy of its checked-in corpus (fuzz/corpus/<target>, plus the official
# 1EdTech files of ../shared/ims/real-sdd for the SDD targets, read in place and never copied into
# the repository), fails on any crash, and prints executions per target.
#
#   scripts/fuzz.sh                       # every target, FUZZ_SECONDS (default 8) each: what CI runs
#   FUZZ_SECONDS=600 scripts/fuzz.sh sdd_yaml oauth_token   # longer, chosen targets
#
# Environment:
#   FUZZ_SECONDS      seconds per target (default 8)
#   FUZZ_SANITIZER    none (default) or address. The workspace forbids `unsafe`, so ASan finds
#                     little in our code; `address` needs RUSTC_BOOTSTRAP=1 on stable (set here).
#   FUZZ_TARGET_DIR   build directory (default $CARGO_TARGET_DIR/fuzz, else fuzz/target)
#   FUZZ_KEEP_CORPUS  a directory: keep each target's grown corpus in <dir>/<target>
#   FUZZ_JOBS         parallel libFuzzer jobs per target (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
seconds="${FUZZ_SECONDS:-8}"
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}}"
target_dir="${target_dir:-$PWD/fuzz/target}"
triple="$(rustc -vV | sed -n 's/^host: //p')"

case "$sanitizer" in
  none) ;;
  address) export RUSTC_BOOTSTRAP=1 ;; # -Zsanitizer on the stable toolchain
  *) echo "FUZZ_SANITIZER must be none or address, not '$sanitizer'" >&2; exit 2 ;;
esac

if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

all_targets=(sdd_json sdd_yaml model_yaml query_filter query_collection bearer_header
  jwt_access_token oauth_token oauth_revoke oauth_introspect oauth_register lti_launch)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")

echo "==> building the fuzz targets (sanitizer: $sanitizer, into $target_dir)"
# 16 codegen units: a much quicker build on two cores for a slightly slower run.
cargo fuzz build --sanitizer "$sanitizer" --target-dir "$target_dir" --codegen-units 16

bin_dir="$target_dir/$triple/release"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
official=../shared/ims/real-sdd
artifacts="$PWD/fuzz/artifacts"
mkdir -p "$artifacts"

summary=()
failed=()
for t in "${targets[@]}"; do
  [ -x "$bin_dir/$t" ] || { echo "unknown fuzz target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
  corpus="$scratch/$t"
  mkdir -p "$corpus"
  cp -R "fuzz/corpus/$t/." "$corpus/"
  seeds=()
  case "$t" in
    sdd_json | sdd_yaml)
      ext=json; [ "$t" = sdd_yaml ] && ext=yaml
      if [ -d "$official" ]; then
        mkdir -p "$scratch/official-$t"
        for f in "$official"/*."$ext"; do [ -e "$f" ] && ln -s "$(realpath "$f")" "$scratch/official-$t/"; done
        seeds+=("$scratch/official-$t")
      else
        echo "note: $official not found: $t runs on the checked-in corpus only"
      fi
      ;;
  esac
  echo "==> $t: ${seconds}s"
  log="$scratch/$t.log"
  status=0
  parallel=()
  # -jobs makes libFuzzer write each job's output to fuzz-<n>.log in the working directory.
  [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
  (cd "$scratch" && "$bin_dir/$t" "$corpus" "${seeds[@]}" "${parallel[@]}" \
    -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-") >"$log" 2>&1 || status=$?
  if [ "$jobs" -gt 1 ]; then cat "$scratch"/fuzz-*.log >>"$log" 2>/dev/null || true; rm -f "$scratch"/fuzz-*.log; fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s+=$1} END {print s+0}')"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | awk '{s+=$1} END {print s+0}')"
  units="$(find "$corpus" -type f | wc -l)"
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    tail -n 60 "$log"
    echo "!!! $t failed (exit $status); the input is in fuzz/artifacts/$t-*; reproduce with:"
    echo "    $bin_dir/$t fuzz/artifacts/$t-<file>"
  fi
  summary+=("$(printf '%-18s %12s execs %8s/s %6s corpus units  %s' "$t" "$execs" "$rate" "$units" \
    "$([ "$status" -eq 0 ] && echo ok || echo CRASH)")")
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$t"
    cp -R "$corpus/." "$FUZZ_KEEP_CORPUS/$t/"
  fi
done

echo
echo "==> fuzzing summary (${seconds}s per target, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "crashes in: ${failed[*]}" >&2
  exit 1
fi
