#!/usr/bin/env bash
# LTI launch validations per second, ims-runtime against pylti1p3, on the same tokens in one run
# on one core (README's benchmark table; issue 10).
#
#   scripts/bench-lti-launch.sh            5000 tokens (IMS_LTI_BENCH_TOKENS overrides)
#
# 1. builds runtime/benches/lti_launch_validation.rs (release, `cargo bench --no-run`);
# 2. runs it in export mode pinned to core 0 (`taskset -c 0` where it exists): it makes the logins
#    and the RS256 `id_token`s once, writes them with the platform JWKS to a temporary folder, then
#    times `LtiTool::launch` over them (state + browser binding, signature by kid, every claim
#    check, the nonce spent in the memory launch store);
# 3. runs scripts/lti_pylti1p3_bench.py, pinned to the same core, over the same tokens:
#    pylti1p3's MessageLaunch.validate() configured with a ToolConfDict holding the same issuer,
#    client_id, deployment and key set, a fresh nonce in the session per token;
# 4. prints both rates and the ratio.
#
# Measured 2026-12-03 on the shared 2-core machine (load average 5-7 from other builds), three
# runs of 5000 tokens: ims-runtime 13.2k-17.9k, pylti1p3 2.0.0 (Python 3.11) 1.6k-2.2k launches/s,
# ratio 8.0-8.3x. pylti1p3 checks less (`aud` only through its first entry, PyJWT's own `aud`
# check being off; never `azp`) and converts the platform's JWK to PEM on every launch.
#
# Python: IMS_PYTHON, else .venv/bin/python, with scripts/python-requirements.txt installed
# (`.venv/bin/python -m pip install -r scripts/python-requirements.txt`).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ims-codegen-target}"
python="${IMS_PYTHON:-$PWD/.venv/bin/python}"
if ! "$python" -c 'import pylti1p3' 2>/dev/null; then
  echo "bench-lti-launch: $python cannot import pylti1p3." >&2
  echo "  fix: python3 -m venv .venv && .venv/bin/python -m pip install -r scripts/python-requirements.txt" >&2
  exit 1
fi

pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c 0)
else
  echo "bench-lti-launch: taskset not found (util-linux); running unpinned" >&2
fi

# The bench executable: cargo prints its path in the compiler-artifact message.
bench_bin="$(cargo bench --quiet -p ims-runtime --bench lti_launch_validation --no-run \
  --message-format=json | "$python" -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "lti_launch_validation" and msg.get("executable"):
        print(msg["executable"])
')"
if [ -z "$bench_bin" ] || [ ! -x "$bench_bin" ]; then
  echo "bench-lti-launch: could not find the built lti_launch_validation bench" >&2
  exit 1
fi

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

echo "== ims-runtime (Rust), ${pin[*]:-unpinned}"
IMS_LTI_BENCH_EXPORT="$dir" IMS_LTI_BENCH_TOKENS="${IMS_LTI_BENCH_TOKENS:-5000}" \
  ${pin[@]+"${pin[@]}"} "$bench_bin"
echo "== pylti1p3 $("$python" -c 'import pylti1p3; print(pylti1p3.__version__)') (Python $("$python" -c 'import platform; print(platform.python_version())')), same tokens"
${pin[@]+"${pin[@]}"} "$python" scripts/lti_pylti1p3_bench.py "$dir"

"$python" - "$dir" <<'EOF'
import json, sys
d = sys.argv[1]
rust = json.load(open(f"{d}/rust.json"))["launches_per_second"]
py = json.load(open(f"{d}/python.json"))["launches_per_second"]
print(f"== launch validations/s on one core: ims-runtime {rust:.0f}, pylti1p3 {py:.0f}, ratio {rust / py:.1f}x")
EOF
