#!/usr/bin/env bash
# Runs schemathesis, with all its checks, against the badges host (`badges-demo host`) over TLS
# with the project's Open Badges 3.0 SDD (spec-models/openbadges_v3p0/sdd.yaml) and a user token
# holding every OB 3.0 scope, obtained the scenario 2 way: open dynamic registration, the login
# form (user `alice` of DIR/users.json) and the code exchange with PKCE S256. Fails on any
# schemathesis failure: a 5xx, an answer that violates the SDD, invalid input accepted, auth not
# enforced... Every check runs except positive_data_acceptance: a body can match the SDD and
# still be invalid data, and OB 3.0 requires the 400: a text/plain compact JWS whose signature
# does not verify with the key in its header (schemathesis draws dotted base64url strings), or
# whose payload is not a credential. The end-to-end tests show that valid input is accepted.
#
#   scripts/schemathesis-badges.sh   build badges-demo, start the host, run schemathesis, stop it
#
# Environment: as scripts/schemathesis.sh (ST_MAX_EXAMPLES, ST_SEED, ST_WORKERS, ST_OUTPUT), and
# ST_BADGES_BIN (an already built badges-demo to run instead of building it). schemathesis comes
# from the same pinned venv (`scripts/schemathesis.sh --install` installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/schemathesis.sh --install
st="${XDG_CACHE_HOME:-$HOME/.cache}/ims-codegen-venv/bin/st"

if [ -n "${ST_BADGES_BIN:-}" ]; then
  demo="$ST_BADGES_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ims-codegen-target}"
  cargo build --release --quiet -p ims-generated-example --bin badges-demo
  demo="$CARGO_TARGET_DIR/release/badges-demo"
fi

sdd="$PWD/spec-models/openbadges_v3p0/sdd.yaml"
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

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
origin="https://127.0.0.1:$port"
"$demo" host --addr "127.0.0.1:$port" --data-dir "$data" >"$data/host.log" 2>&1 &
demo_pid=$!

for _ in $(seq 1 600); do
  if [ -s "$data/ca.pem" ] && [ -s "$data/users.json" ] &&
    curl -sf --cacert "$data/ca.pem" -o /dev/null "$origin/ims/ob/v3p0/discovery"; then
    break
  fi
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "badges-demo host exited before it answered:" >&2
    cat "$data/host.log" >&2
    exit 1
  fi
  sleep 0.1
done

# Registration, login form, code exchange: Python's standard library only.
token="$(python3 - "$origin" "$data/ca.pem" "$data/users.json" <<'PY'
import base64, hashlib, json, re, secrets, ssl, sys, urllib.parse, urllib.request
origin, ca, users = sys.argv[1:4]
tls = ssl.create_default_context(cafile=ca)
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls), NoRedirect)
def call(url, data=None, headers={}):
    try:
        return opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=30)
    except urllib.error.HTTPError as e:
        return e
sdd = json.load(call(f"{origin}/ims/ob/v3p0/discovery"))
scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
flow = scheme["flows"]["authorizationCode"]
scope = " ".join(s for s in flow["scopes"] if s != "offline_access")
redirect = "https://schemathesis.example/callback"
reg = json.load(call(scheme["x-imssf-registrationUrl"], json.dumps({
    "client_name": "schemathesis", "client_uri": "https://schemathesis.example/",
    "logo_uri": "https://schemathesis.example/logo.png", "tos_uri": "https://schemathesis.example/tos",
    "policy_uri": "https://schemathesis.example/privacy", "software_id": "schemathesis",
    "software_version": "1", "redirect_uris": [redirect], "scope": scope,
    "grant_types": ["authorization_code"], "response_types": ["code"],
    "token_endpoint_auth_method": "client_secret_basic"}).encode(),
    {"Content-Type": "application/json"}))
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
query = urllib.parse.urlencode({"response_type": "code", "client_id": reg["client_id"],
    "redirect_uri": redirect, "scope": scope, "state": secrets.token_urlsafe(16),
    "code_challenge": challenge, "code_challenge_method": "S256"})
page = call(f"{flow['authorizationUrl']}?{query}")
cookie = "; ".join(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or [])
html = page.read().decode()
form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
user, entry = next(iter(json.load(open(users)).items()))
form.update({"username": user, "password": entry["password"], "decision": "approve"})
answer = call(f"{origin}/authorize", urllib.parse.urlencode(form).encode(),
              {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
code = urllib.parse.parse_qs(urllib.parse.urlparse(answer.headers["Location"]).query)["code"][0]
basic = base64.b64encode(f"{urllib.parse.quote_plus(reg['client_id'])}:{urllib.parse.quote_plus(reg['client_secret'])}".encode()).decode()
tok = json.load(call(flow["tokenUrl"], urllib.parse.urlencode({"grant_type": "authorization_code",
    "code": code, "redirect_uri": redirect, "code_verifier": verifier}).encode(),
    {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}))
print(tok["access_token"])
PY
)"

set +e
(
  export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
  cd "$data"
  "$st" run "$sdd" \
    --url "$origin/ims/ob/v3p0" \
    --header "Authorization: Bearer $token" \
    --tls-verify "$data/ca.pem" \
    --checks all --exclude-checks response_schema_conformance,positive_data_acceptance \
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
  echo "schemathesis failed (exit $status); host log tail:" >&2
  tail -n 20 "$data/host.log" >&2
fi
exit "$status"
