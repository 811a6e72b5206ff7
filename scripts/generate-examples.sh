#!/usr/bin/env bash
# Regenerates everything checked in under generated-example/src/ from this repository's inputs:
#   generated/  the bundled spec models (spec-models/*/model.yaml)
#   golden/     the construct and operation fixtures (tests/fixtures/), snapshots compiled as a crate
# Uses the debug profile the test suite builds anyway (generation itself takes well under a second).
# With --check nothing is written; the exit code is 3 when a file is stale or missing.
set -euo pipefail
cd "$(dirname "$0")/.."
check=()
[ "${1:-}" = "--check" ] && check=(--check)

gen() { cargo run --quiet -p ims-codegen -- generate --quiet "$@" "${check[@]}"; }

gen spec-models/*/model.yaml --out generated-example/src/generated

# Each golden module is named after its fixture: constructs/enums.yaml → golden/enums.rs (the
# inferred name would come from the SDD's title), operations/<dir>/ by its model's `module: <dir>`.
fixtures=()
for sdd in tests/fixtures/constructs/*.yaml; do fixtures+=(--sdd "$sdd" --module "$(basename "$sdd" .yaml)"); done
# OpenAPI 3.1 fixtures: only the files at the top of oas31/ (its subfolders hold 3.0 twins, a 3.1
# rendition of a bundled SDD and refused documents, which codegen/tests/integration/load_oas31.rs reads).
for sdd in tests/fixtures/oas31/*.yaml; do fixtures+=(--sdd "$sdd" --module "$(basename "$sdd" .yaml)"); done
for dir in tests/fixtures/operations/*/; do
  # error_* fixtures must fail to generate; codegen/tests/integration/fixtures_operations.rs checks them.
  case "$(basename "$dir")" in error_*) continue ;; esac
  fixtures+=("${dir}model.yaml")
done
gen "${fixtures[@]}" --out generated-example/src/golden
