"""pylti1p3 (PyPI), an outside LTI 1.3 tool library, launched by our demo platform (issue 10, acceptance 3).

Drives pylti1p3 WITHOUT a web framework, through its abstract Request, CookieService and
SessionService: the script is both the browser and the tool, so it never listens on a port.

    python scripts/lti_pylti1p3_peer.py setup --data-dir D [--tool-name pylti1p3]
        Makes the tool's RSA key pair (D/pylti1p3-tool/private.pem), and adds the tool to
        D/tools.json (created or extended) with its public JWK inline as "jwks", its login and
        launch URLs (https://pylti1p3.tool.invalid/..., never contacted: the script reads the
        platform's answers itself) and the AGS + NRPS scopes. Run it BEFORE the platform starts.

    python scripts/lti_pylti1p3_peer.py run --platform https://127.0.0.1:P --data-dir D [--ca D/ca.pem]
                                            [--tool-name pylti1p3] [--course COURSE_ID]
        1. signs in at /login as an instructor from D/users.json;
        2. GET /courses/{course}/launch/{tool}: the platform's redirect or auto-submitting form to
           the tool's initiate_login_uri; its fields go to pylti1p3's OIDCLogin;
        3. follows OIDCLogin's redirect to the platform's authorization endpoint with the
           platform's session cookie and reads the form_post (id_token, state);
        4. pylti1p3's MessageLaunch validates the id_token (state cookie and nonce carried over
           from step 2, the platform's JWKS fetched from its jwks_uri);
        5. pylti1p3's NamesRolesProvisioningService lists the course members: a learner is picked;
        6. pylti1p3's AssignmentsGradesService gets a token with pylti1p3's own client assertion
           and posts a score for that learner (to the claim's line item, or a line item it finds
           or creates by tag);
        7. the platform must report the score: in the AGS results read back with a token, and on
           the course page's list of scores reported through AGS.
        Exits 0 when all of that holds; otherwise non-zero with a message naming the step.

Python with scripts/python-requirements.txt installed (`.venv/bin/python -m pip install -r
scripts/python-requirements.txt`). Wrapped by generated-example/tests/integration/lti_pylti1p3.rs.
"""

import argparse
import json
import os
import sys
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

try:
    import requests
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pylti1p3.cookie import CookieService
    from pylti1p3.grade import Grade
    from pylti1p3.lineitem import LineItem
    from pylti1p3.message_launch import MessageLaunch
    from pylti1p3.oidc_login import OIDCLogin
    from pylti1p3.redirect import Redirect
    from pylti1p3.registration import Registration
    from pylti1p3.request import Request
    from pylti1p3.session import SessionService
    from pylti1p3.tool_config import ToolConfDict
except ImportError as error:
    sys.exit(
        f"pylti1p3 peer: a package is missing ({error}): run "
        "`.venv/bin/python -m pip install -r scripts/python-requirements.txt` "
        "(or set IMS_PYTHON to a Python that has it)"
    )

TOOL_ORIGIN = "https://pylti1p3.tool.invalid"
LOGIN_URL = TOOL_ORIGIN + "/login"
LAUNCH_URL = TOOL_ORIGIN + "/launch"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPES = [
    AGS + "lineitem",
    AGS + "lineitem.readonly",
    AGS + "result.readonly",
    AGS + "score",
    NRPS_SCOPE,
]
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class PeerFailure(Exception):
    """A step of the flow failed; the message says which and why."""


def fail(step, message):
    raise PeerFailure(f"{step}: {message}")


# --- setup -------------------------------------------------------------------------------------


def key_dir(data_dir, tool_name):
    return os.path.join(data_dir, f"{tool_name}-tool")


def setup(args):
    directory = key_dir(args.data_dir, args.tool_name)
    os.makedirs(directory, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    with open(os.path.join(directory, "private.pem"), "w", encoding="utf-8") as file:
        file.write(private_pem)
    with open(os.path.join(directory, "public.pem"), "w", encoding="utf-8") as file:
        file.write(public_pem)
    # pylti1p3's own JWK of the key: the `kid` it puts in its client assertions' header.
    jwk = dict(Registration.get_jwk(public_pem))
    tools_path = os.path.join(args.data_dir, "tools.json")
    tools = []
    if os.path.exists(tools_path):
        with open(tools_path, encoding="utf-8") as file:
            tools = json.load(file)
    tools = [t for t in tools if t.get("name") != args.tool_name]
    tools.append(
        {
            "name": args.tool_name,
            "initiate_login_uri": LOGIN_URL,
            "redirect_uris": [LAUNCH_URL],
            "target_link_uri": LAUNCH_URL,
            "jwks": {"keys": [jwk]},
            "scopes": SCOPES,
        }
    )
    with open(tools_path + ".tmp", "w", encoding="utf-8") as file:
        json.dump(tools, file, indent=2)
    os.replace(tools_path + ".tmp", tools_path)
    print(f"pylti1p3 peer: tool '{args.tool_name}' (kid {jwk['kid']}) added to {tools_path}")


# --- pylti1p3's abstract classes, framework-free -------------------------------------------------


class PeerRequest(Request):
    """One request reaching the tool: its parameters and the browser's session at the tool."""

    def __init__(self, params, session):
        self._params = dict(params)
        self._session = session

    @property
    def session(self):
        return self._session

    def is_secure(self):
        return True

    def get_param(self, key):
        return self._params.get(key)


class PeerCookies(CookieService):
    """The browser's cookies for the tool's site, under pylti1p3's prefix."""

    def __init__(self, jar):
        self._jar = jar

    def get_cookie(self, name):
        return self._jar.get(f"{self._cookie_prefix}-{name}")

    def set_cookie(self, name, value, exp=3600):
        self._jar[f"{self._cookie_prefix}-{name}"] = str(value)


class PeerRedirect(Redirect):
    def __init__(self, location):
        self._location = location

    def do_redirect(self):
        return self._location

    def do_js_redirect(self):
        return self._location

    def set_redirect_url(self, location):
        self._location = location

    def get_redirect_url(self):
        return self._location


class PeerOIDCLogin(OIDCLogin):
    def get_redirect(self, url):
        return PeerRedirect(url)


class PeerMessageLaunch(MessageLaunch):
    def _get_request_param(self, key):
        return self._request.get_param(key)


# --- the browser -------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: action, method and named inputs (hidden or not)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "inputs": {},
                }
            )
        elif tag in ("input", "button", "textarea") and self.forms and attrs.get("name"):
            if tag == "button" and attrs.get("type", "submit") == "submit":
                return
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


def forms_of(html):
    parser = Forms()
    parser.feed(html)
    return parser.forms


def describe(response):
    body = response.text[:400].replace("\n", " ")
    return f"HTTP {response.status_code} from {response.request.method} {response.url}: {body}"


def sign_in(browser, platform, username, password):
    step = "sign in at /login"
    page = browser.get(platform + "/login", allow_redirects=False)
    if page.status_code != 200:
        fail(step, describe(page))
    form = next((f for f in forms_of(page.text) if "password" in f["inputs"]), None)
    if form is None:
        fail(step, "the /login page has no form with a `password` input")
    fields = dict(form["inputs"])
    fields.update({"username": username, "password": password})
    action = urljoin(page.url, form["action"] or "/login")
    answer = browser.post(action, data=fields, allow_redirects=False)
    if answer.status_code not in (200, 302, 303):
        fail(step, describe(answer))
    if not browser.cookies:
        fail(step, f"no session cookie after signing in as '{username}': {describe(answer)}")


def login_initiation(browser, platform, course, tool_name):
    """The launch start: the fields the platform sends the tool's initiate_login_uri."""
    step = f"GET /courses/{course}/launch/{tool_name}"
    url = f"{platform}/courses/{course}/launch/{tool_name}"
    for _ in range(5):
        answer = browser.get(url, allow_redirects=False)
        if answer.status_code in (301, 302, 303, 307):
            location = urljoin(url, answer.headers.get("location", ""))
            if location.split("?")[0] == LOGIN_URL:
                return dict(parse_qsl(urlsplit(location).query))
            if not location.startswith(platform):
                fail(step, f"redirected to {location}, not to the tool's {LOGIN_URL}")
            url = location
            continue
        if answer.status_code != 200:
            fail(step, describe(answer))
        for form in forms_of(answer.text):
            if urljoin(url, form["action"]).split("?")[0] == LOGIN_URL:
                return form["inputs"]
        fail(step, f"no redirect or form to {LOGIN_URL}: {describe(answer)}")
    fail(step, "more than 5 redirects inside the platform")


def authentication_response(browser, location):
    """The platform's form_post answer to the authentication request."""
    step = "the platform's authorization endpoint"
    answer = browser.get(location, allow_redirects=False)
    if answer.status_code != 200:
        fail(step, describe(answer))
    for form in forms_of(answer.text):
        if form["action"] == LAUNCH_URL and form["method"] == "post":
            if "error" in form["inputs"]:
                fail(step, f"answered error={form['inputs']['error']}: {form['inputs']}")
            if "id_token" not in form["inputs"] or "state" not in form["inputs"]:
                fail(step, f"the form_post lacks id_token or state: {sorted(form['inputs'])}")
            return form["inputs"]
    fail(step, f"no form_post to {LAUNCH_URL}: {describe(answer)}")


# --- the flow ----------------------------------------------------------------------------------


def load_json(path, what):
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        fail("setup", f"cannot read {what} {path}: {error}")


def instructor_of(users, wanted):
    if wanted:
        if wanted not in users:
            fail("users.json", f"no user '{wanted}'")
        return wanted, users[wanted]["password"]
    for name, user in users.items():
        if INSTRUCTOR in user.get("roles", []):
            return name, user["password"]
    fail("users.json", f"no user with the role {INSTRUCTOR}")


def run(args):
    platform = args.platform.rstrip("/")
    ca = args.ca or os.path.join(args.data_dir, "ca.pem")
    registrations = load_json(os.path.join(args.data_dir, "registrations.json"), "registrations")
    registration = next((r for r in registrations if r.get("name") == args.tool_name), None)
    if registration is None:
        fail("registrations.json", f"no tool named '{args.tool_name}' (was `setup` run before the platform started?)")
    course = args.course or registration["course_id"]
    users = load_json(os.path.join(args.data_dir, "users.json"), "users")
    username, password = instructor_of(users, args.user)
    keys = key_dir(args.data_dir, args.tool_name)
    with open(os.path.join(keys, "private.pem"), encoding="utf-8") as file:
        private_pem = file.read()
    with open(os.path.join(keys, "public.pem"), encoding="utf-8") as file:
        public_pem = file.read()

    # The tool's configuration as pylti1p3 holds it (one client for the issuer).
    issuer = registration["issuer"]
    tool_conf = ToolConfDict(
        {
            issuer: {
                "default": True,
                "client_id": registration["client_id"],
                "auth_login_url": registration["authorization_endpoint"],
                "auth_token_url": registration["token_endpoint"],
                "key_set_url": registration["jwks_uri"],
                "key_set": None,
                "deployment_ids": [registration["deployment_id"]],
            }
        }
    )
    tool_conf.set_private_key(issuer, private_pem)
    tool_conf.set_public_key(issuer, public_pem)

    # Two HTTP sessions: the browser (platform cookies) and the tool's back channel.
    # trust_env off: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's
    # `verify`, and the platform's CA must be the only trust root here.
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = ca
    back_channel = requests.Session()
    back_channel.trust_env = False
    back_channel.verify = ca
    back_channel.headers["User-Agent"] = "PyLTI1p3-client"

    # The tool's side of the browser: its cookies and its server-side session.
    tool_cookies = {}
    tool_session = {}

    sign_in(browser, platform, username, password)
    print(f"pylti1p3 peer: signed in as {username}")

    initiation = login_initiation(browser, platform, course, args.tool_name)
    print(f"pylti1p3 peer: login initiation with {sorted(initiation)}")
    if initiation.get("iss") != issuer:
        fail("login initiation", f"iss {initiation.get('iss')!r} is not the registered issuer {issuer!r}")
    login = PeerOIDCLogin(
        PeerRequest(initiation, tool_session), tool_conf, SessionService(PeerRequest(initiation, tool_session)), PeerCookies(tool_cookies)
    )
    try:
        location = login.redirect(LAUNCH_URL)
    except Exception as error:  # pylti1p3 raises plain exceptions too
        fail("pylti1p3 OIDCLogin", f"{type(error).__name__}: {error}")
    if not location.startswith(registration["authorization_endpoint"] + "?"):
        fail("pylti1p3 OIDCLogin", f"redirects to {location}, not to the authorization endpoint")

    form_post = authentication_response(browser, location)
    launch_request = PeerRequest(form_post, tool_session)
    launch = PeerMessageLaunch(
        launch_request,
        tool_conf,
        session_service=SessionService(launch_request),
        cookie_service=PeerCookies(tool_cookies),
        requests_session=back_channel,
    )
    try:
        launch.validate()
    except Exception as error:
        fail("pylti1p3 MessageLaunch.validate", f"{type(error).__name__}: {error}")
    data = launch.get_launch_data()
    context = data.get("https://purl.imsglobal.org/spec/lti/claim/context", {})
    print(
        "pylti1p3 peer: MessageLaunch validated our id_token: "
        f"sub={data.get('sub')} context={context.get('id')} "
        f"resource_link={launch.is_resource_launch()} instructor={launch.check_teacher_access()}"
    )
    if context.get("id") != course:
        fail("launch", f"context.id {context.get('id')!r} is not the course {course!r}")

    # A learner of the course, through NRPS.
    if not launch.has_nrps():
        fail("launch", "no NRPS claim (namesroleservice) in the launch")
    try:
        members = launch.get_nrps().get_members()
    except Exception as error:
        fail("pylti1p3 NamesRolesProvisioningService", f"{type(error).__name__}: {error}")
    learners = [
        m for m in members
        if any(r in (LEARNER, "Learner") or r.endswith("#Learner") for r in m.get("roles", []))
    ]
    if not learners:
        fail("NRPS", f"no learner among {len(members)} members")
    learner = learners[0]["user_id"]
    print(f"pylti1p3 peer: NRPS listed {len(members)} members; scoring learner {learner}")

    # A score through AGS, with pylti1p3's own client assertion for the token.
    if not launch.has_ags():
        fail("launch", "no AGS claim (endpoint) in the launch")
    ags = launch.get_ags()
    score_given, score_maximum = 7.5, 10.0
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    grade = (
        Grade()
        .set_user_id(learner)
        .set_score_given(score_given)
        .set_score_maximum(score_maximum)
        .set_timestamp(timestamp)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_comment("posted by pylti1p3")
    )
    endpoint = data["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    line_item = None
    try:
        if endpoint.get("lineitem"):
            ags.put_grade(grade)
            line_item_id = endpoint["lineitem"]
        else:
            line_item = ags.find_or_create_lineitem(
                LineItem()
                .set_tag("pylti1p3-peer")
                .set_label("pylti1p3 peer")
                .set_score_maximum(score_maximum)
                .set_resource_id("pylti1p3-peer-" + uuid.uuid4().hex[:8])
            )
            line_item_id = line_item.get_id()
            ags.put_grade(grade, line_item)
    except Exception as error:
        fail("pylti1p3 AssignmentsGradesService.put_grade", f"{type(error).__name__}: {error}")
    print(f"pylti1p3 peer: posted {score_given}/{score_maximum} for {learner} to {line_item_id}")

    # The platform reports it: AGS results, read with a token.
    try:
        results = ags.get_grades(line_item)
    except Exception as error:
        fail("pylti1p3 AssignmentsGradesService.get_grades", f"{type(error).__name__}: {error}")
    mine = [r for r in results if r.get("userId") == learner]
    if not mine:
        fail("AGS results", f"no result for {learner} among {results}")
    result = mine[0]
    got, maximum = result.get("resultScore"), result.get("resultMaximum") or score_maximum
    if got is None or abs(got / maximum - score_given / score_maximum) > 1e-9:
        fail("AGS results", f"{learner}'s result is {result}, not {score_given}/{score_maximum}")
    print(f"pylti1p3 peer: the platform reports {got}/{maximum} for {learner} (AGS results)")

    # And the course page, which lists the scores reported through AGS (table#scores, one
    # tr.score per score: line item, user, score, ...).
    page = browser.get(f"{platform}/courses/{course}", allow_redirects=False)
    if page.status_code != 200:
        fail("course page", describe(page))
    rows = score_rows(page.text)
    shown = [r for r in rows if len(r) > 2 and r[1] == learner]
    if not any(_number_in(r[2], score_given) for r in shown):
        fail(
            "course page",
            f"GET /courses/{course} lists no score {score_given} for {learner} "
            f"among its reported scores {rows}",
        )
    print(f"pylti1p3 peer: the course page lists {shown[0]}")
    print("pylti1p3 peer: OK")


def _number_in(text, value):
    """Whether `text` (e.g. "7.5 / 10") starts with the number `value`."""
    first = text.replace("/", " ").split()
    try:
        return bool(first) and abs(float(first[0]) - value) < 1e-9
    except ValueError:
        return False


class ScoreRows(HTMLParser):
    """The cells of each `tr class="score"` row of a page."""

    def __init__(self):
        super().__init__()
        self.rows = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and "score" in (dict(attrs).get("class") or "").split():
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None


def score_rows(html):
    parser = ScoreRows()
    parser.feed(html)
    return parser.rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p_setup = commands.add_parser("setup", help="make the tool's keys and add it to D/tools.json")
    p_setup.add_argument("--data-dir", required=True)
    p_setup.add_argument("--tool-name", default="pylti1p3")
    p_run = commands.add_parser("run", help="launch, validate, post a score, check it")
    p_run.add_argument("--platform", required=True, help="https://127.0.0.1:PORT")
    p_run.add_argument("--data-dir", required=True)
    p_run.add_argument("--ca", help="the platform's CA (default D/ca.pem)")
    p_run.add_argument("--tool-name", default="pylti1p3")
    p_run.add_argument("--course", help="default: the course of the tool's registration")
    p_run.add_argument("--user", help="the instructor to sign in as (default: the first in users.json)")
    args = parser.parse_args()
    try:
        (setup if args.command == "setup" else run)(args)
    except PeerFailure as error:
        sys.exit(f"pylti1p3 peer FAILED at {error}")
    except requests.RequestException as error:
        sys.exit(f"pylti1p3 peer FAILED: HTTP error {type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
