"""pylti1p3's launch validation rate over the tokens our bench exported (scripts/bench-lti-launch.sh).

    python scripts/lti_pylti1p3_bench.py DIR

DIR/launches.json is written by `IMS_LTI_BENCH_EXPORT=DIR` runs of
runtime/benches/lti_launch_validation.rs: the platform's issuer, client_id, deployment and JWKS, and
one {state, nonce, id_token} per login. pylti1p3 is configured with a ToolConfDict holding the same
issuer/client_id/deployment/key set, and each token goes through `MessageLaunch.validate()` (state
cookie, JWT format, nonce in the session, registration, RS256 signature, deployment, message claims)
through pylti1p3's abstract Request, CookieService and SessionService, with no web framework. As on
the Rust side, the browser state a login leaves (the state cookie, the nonce in the session) is set
up before the clock starts; constructing the MessageLaunch and validating is measured. Writes
DIR/python.json and prints the rate. Exits non-zero if any launch is refused.
"""

import json
import sys
import time

try:
    import requests
    from pylti1p3.cookie import CookieService
    from pylti1p3.message_launch import MessageLaunch
    from pylti1p3.request import Request
    from pylti1p3.session import SessionService
    from pylti1p3.tool_config import ToolConfDict
except ImportError as error:
    sys.exit(
        f"pylti1p3 is not installed ({error}): run "
        "`.venv/bin/python -m pip install -r scripts/python-requirements.txt` "
        "(or set IMS_PYTHON to a Python that has it)"
    )


class BenchRequest(Request):
    """A launch POST as pylti1p3 sees it: form parameters and the browser's session."""

    def __init__(self, params, session):
        self._params = params
        self._session = session

    @property
    def session(self):
        return self._session

    def is_secure(self):
        return True

    def get_param(self, key):
        return self._params.get(key)


class BenchCookies(CookieService):
    """The browser's cookies, under pylti1p3's own prefix (as its Flask and Django services do)."""

    def __init__(self, jar):
        self._jar = jar

    def _name(self, name):
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name):
        return self._jar.get(self._name(name))

    def set_cookie(self, name, value, exp=3600):
        self._jar[self._name(name)] = str(value)


class BenchMessageLaunch(MessageLaunch):
    def _get_request_param(self, key):
        return self._request.get_param(key)


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DIR (holding launches.json)")
    directory = sys.argv[1]
    with open(f"{directory}/launches.json", encoding="utf-8") as file:
        data = json.load(file)
    config = ToolConfDict(
        {
            data["issuer"]: {
                "default": True,
                "client_id": data["client_id"],
                "auth_login_url": data["auth_login_url"],
                "auth_token_url": data["auth_token_url"],
                "key_set": data["jwks"],
                "key_set_url": None,
                "deployment_ids": [data["deployment_id"]],
            }
        }
    )
    # One HTTP session for all launches, as a deployed tool keeps (never used: the key set is inline).
    http = requests.Session()

    # The browser state each login left: the state cookie and the nonce in the session.
    prepared = []
    for launch in data["launches"]:
        session = {}
        request = BenchRequest(
            {"state": launch["state"], "id_token": launch["id_token"]}, session
        )
        cookies = BenchCookies({})
        cookies.set_cookie(launch["state"], launch["state"])
        SessionService(request).save_nonce(launch["nonce"])
        prepared.append((request, cookies))

    count = len(prepared)
    start = time.perf_counter()
    for request, cookies in prepared:
        launch = BenchMessageLaunch(
            request,
            config,
            session_service=SessionService(request),
            cookie_service=cookies,
            requests_session=http,
        )
        launch.validate()
    seconds = time.perf_counter() - start
    rate = count / seconds
    with open(f"{directory}/python.json", "w", encoding="utf-8") as file:
        json.dump(
            {"launches": count, "seconds": seconds, "launches_per_second": rate}, file
        )
    print(
        f"pylti1p3 MessageLaunch.validate: {count} launches in {seconds:.3f} s = {rate:.0f} launches/s"
    )


if __name__ == "__main__":
    main()
