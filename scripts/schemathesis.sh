#!/usr/bin/env bash
# Runs schemathesis, with all its checks, against the OneRoster 1.2 Rostering demo provider
# (`oneroster-demo serve`) over TLS with a `full` client token, on the project's own SDD
# (spec-models/oneroster_v1p2_rostering/sdd.yaml). Fails on any schemathesis failure: a 5xx, an
# answer that violates the SDD, valid input rejected, invalid input accepted, auth not enforced...
#
#   scripts/schemathesis.sh             build the demo, start it, run schemathesis, stop the demo
#   scripts/schemathesis.sh --official  the same against the OFFICIAL OneRoster 1.2 Rostering file
#                                       (../shared/ims/real-sdd/or_v1p2_rostering_oas3.json, or
#                                       $IMS_REAL_SDD_DIR/or_v1p2_rostering_oas3.json), with every
#                                       check except positive_data_acceptance: the official file
#                                       leaves the filter grammar free, and a grammar violation is
#                                       400 by the standard
#   scripts/schemathesis.sh --install   only install schemathesis (what .ci/run's install step does)
#
# Environment: ST_MAX_EXAMPLES (examples per operation and phase, default 50), ST_SEED (default
# 20261123), ST_WORKERS (default 2), ST_OUTPUT (also write the schemathesis output to this file),
# ST_DEMO_BIN (an already built oneroster-demo to run instead of building it).
# schemathesis is pinned and installed with pip into a venv under ${XDG_CACHE_HOME:-~/.cache}.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/ims-codegen-venv"
st="$venv/bin/st"

install_schemathesis() {
  if [ -x "$st" ] && [ "$("$st" --version 2>/dev/null)" = "st, version $ST_VERSION" ]; then
    return
  fi
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  "$st" --version
}

install_schemathesis
[ "${1:-}" = "--install" ] && exit 0

sdd="$PWD/spec-models/oneroster_v1p2_rostering/sdd.yaml"
excluded=response_schema_conformance
phases=examples,coverage,fuzzing,stateful
if [ "${1:-}" = "--official" ]; then
  sdd="${IMS_REAL_SDD_DIR:-$PWD/../shared/ims/real-sdd}/or_v1p2_rostering_oas3.json"
  if [ ! -s "$sdd" ]; then
    echo "missing $sdd: the official OneRoster 1.2 Rostering SDD." >&2
    echo "  fix: put the team's shared folder beside the clone (../shared, with ims/real-sdd/), or set IMS_REAL_SDD_DIR to a folder holding or_v1p2_rostering_oas3.json" >&2
    exit 1
  fi
  excluded="$excluded,positive_data_acceptance"
  # The official file's OpenAPI links (first/prev/next/last) read `$request.path.limit` and
  # `$request.path.offset`, which are query parameters: schemathesis refuses such links, so the
  # stateful phase (which only follows links) cannot run on it.
  phases=examples,coverage,fuzzing
elif [ -n "${1:-}" ]; then
  echo "unknown option ${1}; see the comment at the top of $0" >&2
  exit 2
fi

if [ -n "${ST_DEMO_BIN:-}" ]; then
  demo="$ST_DEMO_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ims-codegen-target}"
  cargo build --release --quiet -p ims-generated-example --bin oneroster-demo
  demo="$CARGO_TARGET_DIR/release/oneroster-demo"
fi

data="$(mktemp -d)"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

# A free loopback port: bound by the kernel, released just before the demo takes it.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
origin="https://127.0.0.1:$port"
"$demo" serve --addr "127.0.0.1:$port" --data-dir "$data" >"$data/demo.log" 2>&1 &
demo_pid=$!

# Up to 60 s for the demo to seed its data, write ca.pem/clients.json and answer over TLS.
for _ in $(seq 1 600); do
  if [ -s "$data/ca.pem" ] && [ -s "$data/clients.json" ] &&
    curl -sf --cacert "$data/ca.pem" -o "$data/as.json" "$origin/.well-known/oauth-authorization-server"; then
    break
  fi
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "oneroster-demo exited before it answered:" >&2
    cat "$data/demo.log" >&2
    exit 1
  fi
  sleep 0.1
done
[ -s "$data/as.json" ] || { echo "oneroster-demo did not answer within 60 s" >&2; cat "$data/demo.log" >&2; exit 1; }

# client_secret_basic: id and secret are form-urlencoded before the Basic encoding (RFC 6749 §2.3.1).
read -r token_endpoint client_id client_secret scopes < <(python3 - "$data/as.json" "$data/clients.json" <<'EOF'
import json, sys
from urllib.parse import quote_plus
meta = json.load(open(sys.argv[1]))
full = json.load(open(sys.argv[2]))["full"]
print(meta["token_endpoint"], quote_plus(full["client_id"]), quote_plus(full["client_secret"]),
      quote_plus(" ".join(full["scopes"])))
EOF
)
token="$(curl -sSf --cacert "$data/ca.pem" -u "$client_id:$client_secret" \
  -d grant_type=client_credentials -d "scope=$scopes" "$token_endpoint" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

# Real sourcedIds for the path parameters: half of the generated requests use one (the rest stay
# random), so the single-record and relationship operations answer 200 with real records too.
"$venv/bin/python" - "$origin/ims/oneroster/rostering/v1p2" "$data/ca.pem" "$token" "$sdd" >"$data/schemathesis.toml" <<'EOF'
import json, ssl, sys, urllib.request
import yaml
base, ca, token, sdd_path = sys.argv[1:5]
tls = ssl.create_default_context(cafile=ca)

def first(path, key, fields):
    request = urllib.request.Request(f"{base}{path}?limit=1&fields={fields}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=tls, timeout=30) as response:
        records = json.load(response)[key]
    if not records:
        sys.exit(f"the demo holds no record under {path}")
    return records[0]

# A class and its school, so school/class pairs exist together.
cls = first("/classes", "classes", "sourcedId,school")
ids = {"classes": cls["sourcedId"], "schools": cls["school"]["sourcedId"]}
wrapper = {"students": "users", "teachers": "users", "gradingPeriods": "academicSessions",
           "terms": "academicSessions"}
for kind in ["academicSessions", "courses", "demographics", "enrollments", "gradingPeriods", "orgs",
             "students", "teachers", "terms", "users"]:
    ids[kind] = first(f"/{kind}", wrapper.get(kind, kind), "sourcedId")["sourcedId"]

for kind, value in sorted(ids.items()):
    print(f"[dictionaries.{kind}]\nvalues = [{json.dumps(value)}]\n")
# Each path parameter names a record of the kind in the path segment before it.
with open(sdd_path) as f:
    document = json.load(f) if sdd_path.endswith(".json") else yaml.safe_load(f)
paths = sorted(p for p in document.get("paths", {}) if "{" in p)
for path in paths:
    segments = path.strip("/").split("/")
    bindings = [f'"path.{segment[1:-1]}" = {{ dictionary = "{before}", probability = 0.5 }}'
                for before, segment in zip(segments, segments[1:])
                if segment.startswith("{") and before in ids]
    if bindings:
        print(f"[[operations]]\ninclude-path = {json.dumps(path)}\nparameters = {{ {', '.join(bindings)} }}\n")
EOF

# The projection-aware variant of response_schema_conformance replaces the built-in one (see
# scripts/schemathesis_hooks.py); every other built-in check runs as it is.
set +e
# It runs inside the temporary directory so its caches do not land in the work tree.
(
  export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
  cd "$data"
  "$st" --config-file "$data/schemathesis.toml" run "$sdd" \
    --url "$origin/ims/oneroster/rostering/v1p2" \
    --header "Authorization: Bearer $token" \
    --tls-verify "$data/ca.pem" \
    --checks all --exclude-checks "$excluded" \
    --phases "$phases" \
    --max-examples "${ST_MAX_EXAMPLES:-50}" \
    --seed "${ST_SEED:-20261123}" \
    --workers "${ST_WORKERS:-2}" \
    --generation-database none \
    --request-timeout 30 \
    --no-color \
    --output-sanitize true
) 2>&1 | tee "${ST_OUTPUT:-/dev/null}"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed (exit $status); demo log tail:" >&2
  tail -n 20 "$data/demo.log" >&2
fi
exit "$status"
