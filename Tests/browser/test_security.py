"""The portal's defences seen from outside: a real cross-site form post from another site's page, forged posts over
plain HTTP (no or a wrong CSRF token, another site's `Sec-Fetch-Site` or `Origin`), GETs that must change nothing,
and a canary typed into every free-text field that must not reach the disk or the log in plaintext.

The security headers and cookies of every page each test loads are checked by the `visit` fixtures (a replay of
every GET through urllib, conftest.replay_visited)."""
from __future__ import annotations

import html
import http.server
import secrets
import threading
from pathlib import Path

import pytest

import http_client
import journeys as J
import messages
from test_profile import fill_profile

FORBIDDEN_TITLES = {messages.text(lang, "errors.forbidden_title") for lang in ("en", "hu")}


class AttackerSite:
    """Another site (http://localhost:PORT, a different site from http://127.0.0.1) serving pages set by the test."""

    def __init__(self):
        self.pages: dict[str, bytes] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = pages.get(self.path.split("?", 1)[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"http://localhost:{self.server.server_address[1]}"

    def form_page(self, name: str, action: str, fields: dict[str, str]) -> str:
        """A page with a plain form that posts `fields` to `action` (a portal address); returns its address."""
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items())
        self.pages["/" + name] = (
            f'<!DOCTYPE html><html lang="en"><head><title>Win a prize</title></head><body>'
            f'<form method="post" action="{html.escape(action)}">{inputs}<button id="go">Claim your prize</button></form>'
            f"</body></html>").encode()
        return f"{self.origin}/{name}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def attacker():
    site = AttackerSite()
    yield site
    site.close()


def request_status(v, request_id: str) -> str:
    answer = v.api().call("GET", f"/v1/requests/{request_id}")
    assert answer.status == 200, f"reading {request_id} answered {answer.status}: {answer.text}"
    return answer.json()["status"]


def profile_fields(v) -> dict:
    answer = v.api().call("GET", "/v1/me/profile")
    assert answer.status == 200, f"reading the profile answered {answer.status}: {answer.text}"
    return {k: f.get("value") for k, f in answer.json()["fields"].items()}


def navigation_status(v) -> int:
    return v.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus")


# ---- a. a real cross-site post from the browser -------------------------------------------------------------------

def test_cross_site_form_posts_are_refused(visit, attacker):
    v = visit
    v.new_citizen()
    assert v.api().call("PATCH", "/v1/me/profile", {"fields": {"family_name": "Original"}}).status == 200
    request_id = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])
    forged = {
        "withdraw": (f"{v.base}/requests/{request_id}/withdraw", {"csrf": "0" * 64}),
        "profile": (f"{v.base}/profile/edit", {"csrf": "0" * 64, "f.family_name": "Forged"}),
        "sign-out": (f"{v.base}/sign-out", {}),
    }
    for name, (action, fields) in forged.items():
        page = attacker.form_page(f"{name}-{secrets.token_hex(4)}", action, fields)
        v.driver.get(page)
        old = v.find("html")
        v.find("#go").click()  # the attacker's page, clicked by the person
        v.wait_until(lambda: v.driver.current_url.startswith(v.base), f"the forged {name} form did not reach the portal")
        v.wait_until(lambda: v.driver.execute_script("return document.readyState") == "complete" and not _same(old, v),
                     "the portal's answer did not load")
        status = navigation_status(v)
        assert status == 403, f"the cross-site {name} post answered {status}: {v.driver.title}"
        assert any(title in v.driver.title for title in FORBIDDEN_TITLES), f"the refusal's title is {v.driver.title!r}"

    # Nothing changed: through the portal's own pages, still signed in, the request not withdrawn, the name kept.
    v.go(f"/requests/{request_id}")
    assert v.all("form[action='/sign-out']"), "a cross-site post signed the citizen out"
    assert v.find("main .tag-large").text == v.t("status.submitted"), "a cross-site post withdrew the request"
    assert v.all("main a[href$='/withdraw']"), "the request can no longer be withdrawn"
    v.go("/profile")
    assert "Original" in v.main_text() and "Forged" not in v.main_text(), f"a cross-site post changed the profile:\n{v.main_text()}"
    assert request_status(v, request_id) == "submitted"


def _same(old, v) -> bool:
    try:
        return old == v.find("html")
    except Exception:  # noqa: BLE001 - the old page is gone
        return False


# ---- b. forged posts over plain HTTP with the browser's cookies ----------------------------------------------------

def test_forged_posts_are_refused_and_change_nothing(js_visit):
    v = js_visit
    v.new_citizen()
    assert v.api().call("PATCH", "/v1/me/profile", {"fields": {"family_name": "Original"}}).status == 200
    request_id = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])
    client = v.client()
    page = client.get(f"/requests/{request_id}")
    assert page.status == 200, f"the request page answered {page.status} through urllib"
    csrf = http_client.csrf_of(page.text)

    # Another citizen's token: right for their session, wrong for this one.
    other = http_client.PortalClient(v.base)
    other.get("/sign-in")
    other_login = f"citizen-{secrets.token_hex(6)}@example.org"
    assert v.api().call("POST", "/v1/accounts", {"login": other_login, "password": "another good passphrase 77"}).status == 202
    signed = other.post_form("/sign-in", {"csrf": other.cookies["__Host-sr-csrf"], "login": other_login,
                                          "password": "another good passphrase 77"})
    assert signed.status == 303 and "__Host-sr-session" in other.cookies, f"the second sign-in answered {signed.status}"
    for line in signed.all("Set-Cookie"):
        assert not http_client.cookie_problems(line), http_client.cookie_problems(line)
    other_csrf = http_client.csrf_of(other.get("/requests").text)
    assert other_csrf != csrf

    forgeries = {
        "no csrf field": ({}, {}),
        "a wrong csrf": ({"csrf": "ab" * 32}, {}),
        "another session's csrf": ({"csrf": other_csrf}, {}),
        "Sec-Fetch-Site: cross-site": ({"csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}),
        "Sec-Fetch-Site: same-site": ({"csrf": csrf}, {"Sec-Fetch-Site": "same-site"}),
        "Origin: http://evil.example": ({"csrf": csrf}, {"Origin": "http://evil.example", "Sec-Fetch-Site": None}),
        "Origin: null": ({"csrf": csrf}, {"Origin": "null", "Sec-Fetch-Site": None}),
        "Origin on another port": ({"csrf": csrf}, {"Origin": v.base.rsplit(":", 1)[0] + ":1", "Sec-Fetch-Site": None}),
    }
    for what, (fields, headers) in forgeries.items():
        for path, extra in ((f"/requests/{request_id}/withdraw", {}), ("/profile/edit", {"f.family_name": "Forged"}),
                            ("/sign-out", {})):
            answer = client.post_form(path, {**fields, **extra}, headers)
            assert answer.status == 403, f"POST {path} with {what} answered {answer.status}"
            assert (answer.header("Content-Type") or "").startswith("text/html"), f"the refusal of {path} is not a page"
            assert not http_client.page_header_problems(answer), http_client.page_header_problems(answer)
            assert "__Host-sr-session=;" not in " ".join(answer.all("Set-Cookie")), f"POST {path} with {what} ended the session"
        assert request_status(v, request_id) == "submitted", f"a POST with {what} withdrew the request"
        assert profile_fields(v).get("family_name") == "Original", f"a POST with {what} changed the profile"
        assert client.get("/profile").status == 200, f"a POST with {what} signed the citizen out"

    # The same post, done right, does change things: the checks above could have seen it.
    answer = client.post_form(f"/requests/{request_id}/withdraw", {"csrf": csrf})
    assert answer.status == 303 and answer.header("Location") == f"/requests/{request_id}?withdrawn=1", \
        f"the genuine withdrawal answered {answer.status} {answer.header('Location')}"
    assert request_status(v, request_id) == "withdrawn"


# ---- no GET changes anything ---------------------------------------------------------------------------------------

def test_get_requests_change_nothing(js_visit):
    v = js_visit
    v.new_citizen()
    assert v.api().call("PATCH", "/v1/me/profile", {"fields": {"family_name": "Original"}}).status == 200
    submitted = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])
    draft = v.create_request("benefit-application", {"full_name": "Drafty Example"}, submit=False)
    fee_request = v.create_request("fee-payment", J.API_FIELDS["fee-payment"])
    payment = v.api().call("GET", f"/v1/requests/{fee_request}").json()["payment"]["id"]
    client = v.client()
    csrf = http_client.csrf_of(client.get("/requests").text)
    before = v.api().call("GET", "/v1/requests").json()["items"]

    gets = [
        f"/requests/{submitted}/withdraw?csrf={csrf}",
        f"/requests/{draft}/delete-draft?csrf={csrf}",
        f"/requests/{draft}/step/1?csrf={csrf}&action=continue&f.full_name=Changed",
        f"/requests/{draft}/submit?csrf={csrf}&declaration=yes",
        f"/requests/{submitted}/messages?csrf={csrf}&message=Hello",
        f"/payments/{payment}/pay?csrf={csrf}&instrument=test-card-ok",
        f"/profile/edit?csrf={csrf}&f.family_name=Changed",
        f"/privacy/erasure?csrf={csrf}&confirm=yes",
        f"/services/fee-payment/start?csrf={csrf}",
        f"/session/extend?csrf={csrf}",
        f"/sign-out?csrf={csrf}",
    ]
    for path in gets:
        answer = client.get(path)
        assert answer.status in (200, 303, 404, 405), f"GET {path} answered {answer.status}"

    assert request_status(v, submitted) == "submitted", "a GET withdrew the request"
    assert request_status(v, draft) == "draft", "a GET deleted or sent the draft"
    fields = v.api().call("GET", f"/v1/requests/{draft}").json()["fields"]
    assert fields["full_name"]["value"] == "Drafty Example", f"a GET changed the draft: {fields}"
    messages_now = v.api().call("GET", f"/v1/requests/{submitted}/messages").json()["items"]
    assert messages_now == [], f"a GET sent a message: {messages_now}"
    assert v.api().call("GET", f"/v1/payments/{payment}").json()["status"] == "pending", "a GET paid the fee"
    assert profile_fields(v).get("family_name") == "Original", "a GET changed the profile"
    export = v.api().call("GET", "/v1/me/export").json()
    assert export.get("erasure_effective_at") is None, "a GET asked for erasure"
    after = v.api().call("GET", "/v1/requests").json()["items"]
    assert len(after) == len(before), f"a GET started a request: {len(before)} then {len(after)}"
    assert client.get("/profile").status == 200, "a GET signed the citizen out"


def test_post_only_addresses_answer_a_portal_page_on_get(js_visit):
    """A form sent back with its errors stays at the form's POST address (/requests/ID/submit for check your
    answers): reopening that address (a reload from the address bar, a restored tab) must give a portal page with the
    portal's security headers, not the JSON API's "no such route"."""
    v = js_visit
    v.new_citizen()
    draft = v.create_request("benefit-application", J.API_FIELDS["benefit-application"], submit=False)
    v.go(f"/requests/{draft}/check")
    v.press("main form[action$='/submit'] button[type=submit]")  # without the declaration: the page stays at /submit
    assert v.path == f"/requests/{draft}/submit" and v.all("#declaration-error"), v.path
    client = v.client()
    problems = []
    for path in (f"/requests/{draft}/submit", f"/requests/{draft}/messages", f"/requests/{draft}/delete-draft",
                 "/payments/pay_0/pay", "/services/fee-payment/start", "/session/extend", "/sign-out"):
        answer = client.get(path)
        kind = answer.header("Content-Type") or ""
        if not kind.startswith("text/html"):
            problems.append(f"GET {path}: {answer.status} {kind} {answer.text[:80]!r}")
        problems += http_client.page_header_problems(answer)
    assert not problems, "addresses the browser can show answer without the portal's page and headers:\n" + "\n".join(problems)


# ---- d. a canary in every free-text field never reaches the disk or the log -------------------------------------

CANARY_CASES = [pytest.param(mode, id=f"{mode[0]}-{mode[1]}") for mode in (("js", "hu"), ("nojs", "en"))]


def canary_variants(canary: str) -> list[bytes]:
    return sorted({c.encode("utf-8") for c in (canary, canary.lower(), canary.upper())})


def files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]


@pytest.mark.parametrize("visit", [c.values[0] for c in CANARY_CASES], ids=[c.id for c in CANARY_CASES], indirect=True)
def test_canary_never_reaches_disk_or_log(visit, server):
    v = visit
    canary = "CANARY" + secrets.token_hex(8).upper()
    v.new_citizen()
    # The profile: names, email, address lines and town.
    fill_profile(v, {"f-family_name": canary, "f-given_names": f"Eva {canary}", "f-email": f"{canary.lower()}@example.net",
                     "f-postal_address-line1": f"12 {canary} Street", "f-postal_address-line2": f"Flat {canary}",
                     "f-postal_address-city": f"{canary}ville"})
    v.go("/profile")
    assert canary in v.main_text(), "the profile does not show the canary: it was not stored"
    # A journey: the full name and the reason are free text (the others have patterns).
    journey = J.by_service("benefit-application")
    steps = [dict(s) for s in journey.steps]
    steps[0]["f-full_name"] = f"Bea {canary}"
    steps[4]["f-reason"] = f"Income fell after a job loss, {canary}."
    request_id = v.start_service(journey.service)
    J.answer_steps(v, request_id, steps)
    J.submit_from_check(v, request_id)
    v.go(f"/requests/{request_id}")
    v.fill({"message": f"A message with {canary} in it."})
    v.press("main form[action$='/messages'] button[type=submit]")
    assert v.main_text().count(canary) >= 3, f"the request page does not show the canary in its answers and message:\n{v.main_text()}"

    variants = canary_variants(canary)
    found = []
    files = files_under(server.data, server.keys) + [server.log]
    assert any(p.name.endswith(".sqlite") or "db" in p.name for p in files), f"no database among {files}"
    for path in files:
        data = path.read_bytes()
        found += [f"{path} holds {variant!r}" for variant in variants if variant in data]
    assert not found, "the canary reached the disk or the log in plaintext:\n" + "\n".join(found)
