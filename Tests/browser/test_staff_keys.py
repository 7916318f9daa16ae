"""The security officer's key screen and the administrator's reset of a second factor, in a real browser.

With JavaScript (axe-core on every page, in Hungarian and then in English on the same sign-in): the administrator
adds a caseworker and two colleagues, resets the caseworker's second factor (the new secret is shown once), and the
caseworker's old authenticator is refused while a code from the new secret signs in; the security officer rotates
the records key behind its confirmation page, starts a rewrap and sees its report, then in English rotates the index
key and rewraps again. Without JavaScript (English), the colleagues added above do the same: the security officer
rotates the subjects key and follows the rewrap with the "Update progress" link, the administrator resets the
caseworker's factor again.

Each sign-in uses a code nobody has used: the demo accounts once each, the new accounts with codes computed here from
the secrets their pages showed (a code opens one session only, and waiting for the next 30-second step is slow)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import parse_qs, urlparse

from conftest import finish_visit, open_visit
from portal import Visit

DEMO_PASSWORD = "demo-staff-passphrase"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 seconds) for an unpadded base32 secret, as an authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((time.time() if at is None else at) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def shown_secret(v: Visit) -> str:
    """The authenticator secret of the `otpauth://` link on an enrolment or reset page."""
    links = v.all("main a[href^='otpauth://totp/']")
    assert links, f"no authenticator link on {v.path}:\n{v.main_text()[:600]}"
    return parse_qs(urlparse(links[0].get_attribute("href")).query)["secret"][0]


def sign_in(v: Visit, login: str, password: str, code, purpose: str) -> None:
    """Signs in at /staff/sign-in with `code()` (called again once if that code was spent this step) and chooses
    the purpose of use."""
    v.driver.delete_all_cookies()
    v.login = None
    v.go(f"/staff/sign-in?lang={v.lang}")
    first = code()
    v.fill({"login": login, "password": password, "code": first})
    v.press("main form button[type=submit]")
    if v.path.startswith("/staff/sign-in"):
        deadline = time.monotonic() + 35
        while (fresh := code()) == first and time.monotonic() < deadline:
            time.sleep(1)
        v.fill({"password": password, "code": fresh})
        v.press("main form button[type=submit]")
    assert v.path.startswith("/staff/purpose"), f"{login} could not sign in ({v.path}):\n{v.main_text()[:600]}"
    v.find(f"input[name=purpose][value='{purpose}']").click()
    v.press("main form button[type=submit]")
    v.login = login


def add_person(v: Visit, login: str, role: str, office: str = "") -> tuple[str, str]:
    """Adds a member of staff on /staff/people; returns the initial password and authenticator secret shown once.
    A caseworker or supervisor is first sent without an office: refused on the page, nothing added."""
    v.go("/staff/people")
    v.find(f"input[name=roles][value='{role}']").click()
    if office:
        v.fill({"login": login, "office": ""})
        v.press("main form[action='/staff/people'] button[type=submit]")
        assert v.t("staff.people.office_missing") in v.find("#error-summary").text, "a caseworker without an office was accepted"
        assert login not in v.find("main table").text, "a refused account was added"
    v.fill({"login": login, "office": office})
    v.press("main form[action='/staff/people'] button[type=submit]")
    assert v.h1() == v.t("staff.people.enrolment_title"), f"no enrolment for {login}:\n{v.main_text()[:600]}"
    assert "otpauth://totp/" in v.main_text()
    v.shot("staff-enrolment")
    password = v.all("main code.secret")[0].text
    return password, shown_secret(v)


def reset_factor(v: Visit, login: str) -> str:
    """Resets `login`'s second factor from /staff/people; returns the new secret shown once."""
    v.go("/staff/people")
    assert not v.all(f"main form[action='/staff/people/reset-mfa']:has(input[value='{v.login}'])"), \
        "the people page offers a reset of one's own second factor"
    v.press(f"main form[action='/staff/people/reset-mfa']:has(input[value='{login}']) button")
    assert v.h1() == v.t("staff.people.reset_title"), f"no new secret for {login}:\n{v.main_text()[:600]}"
    assert v.t("staff.people.reset_once") in v.main_text()
    v.shot("staff-people-reset")
    return shown_secret(v)


def rotate(v: Visit, key: str) -> None:
    """Rotates a data key through its confirmation page."""
    v.go("/staff/keys")
    before = key_versions(v, key)
    v.press(f"main form[action='/staff/keys/rotate']:has(input[value='{key}']) button")
    assert v.h1() == v.t(f"staff.keys.confirm_title_{key}"), f"no confirmation for {key}:\n{v.main_text()[:600]}"
    assert str(max(before) + 1) in v.find("main .lead").text, f"the confirmation does not name version {max(before) + 1}"
    v.shot("staff-keys-confirm")
    v.press("main form[action='/staff/keys/rotate'] button[type=submit]")
    assert v.path == "/staff/keys?done=rotated", f"rotating {key} ended on {v.path}"
    assert v.t("staff.keys.done_rotated") in v.find("main .notice").text
    assert key_versions(v, key) == before + [max(before) + 1], f"{key} versions after the rotation: {key_versions(v, key)}"


def key_versions(v: Visit, key: str) -> list[int]:
    """The versions of `key` in the key table."""
    versions = []
    for row in v.all("main table tbody tr"):
        cells = row.find_elements("css selector", "td")
        if cells and cells[0].find_elements("css selector", "code") and cells[0].find_element("css selector", "code").text == key:
            versions.append(int(cells[1].text))
    return versions


def rewrap(v: Visit) -> bool:
    """Starts a rewrap and follows it to its report: the page's script refreshes the progress region, and without
    JavaScript the person follows "Update progress". Returns whether the page showed it running (on this small demo
    installation it may have finished before the page loaded)."""
    v.go("/staff/keys")
    v.press("main form[action='/staff/keys/rewrap'] button[type=submit]")
    assert v.path.startswith("/staff/keys?done=rewrap"), f"starting the rewrap ended on {v.path}"
    assert v.t("staff.keys.done_rewrap") in v.find("main .notice").text

    def state() -> str | None:
        try:
            return v.find("#rewrap-progress [data-running]").get_attribute("data-running")
        except Exception:  # noqa: BLE001 - the region is being replaced
            return None

    refreshed: list[bool] = []
    deadline = time.monotonic() + 30
    while state() == "true":
        refreshed.append(True)
        assert v.find("#rewrap-progress progress"), "no progress bar while the rewrap runs"
        assert time.monotonic() < deadline, "the rewrap did not finish within 30 seconds"
        if v.js:
            # The script refreshes the region in place: the focus stays where the person left it.
            link = v.find("main a[href*='#rewrap-section']")
            v.driver.execute_script("arguments[0].focus()", link)
            v.wait_until(lambda: state() == "false", "the progress region was not refreshed to the report", timeout=30)
            assert v.active() == link, "refreshing the progress moved the focus"
            assert link.text == v.t("staff.keys.show_status"), f"the link still reads {link.text!r} after the run"
        else:
            time.sleep(0.3)
            v.follow("#rewrap-section")
    region = v.find("#rewrap-progress").text
    assert v.t("staff.keys.finished_title") in region, f"no rewrap report:\n{region}"
    assert v.t("staff.keys.report_rewrapped") in region and v.t("staff.keys.report_shredding") in region, region
    assert v.all("#rewrap-progress progress"), "the report has no progress bar"
    v.shot("staff-keys-rewrap")
    return bool(refreshed)


def test_security_officer_rotates_and_rewraps_and_administrator_resets_a_second_factor(drivers, server):
    suffix = secrets.token_hex(3)
    caseworker, officer, admin = (f"{name}-{suffix}@agency.example" for name in ("cw", "so", "adm"))

    # ---- JavaScript on: Hungarian, then English on the same sign-in (axe-core on every page) ----
    v = open_visit(drivers, server, True, "hu")
    sign_in(v, "ada@agency.example", DEMO_PASSWORD, lambda: server.demo_code("ada@agency.example"), "administration")
    cw_password, first_secret = add_person(v, caseworker, "caseworker", "central")
    so_password, so_secret = add_person(v, officer, "security-officer")
    adm_password, adm_secret = add_person(v, admin, "administrator")
    v.go("/staff/people")
    v.shot("staff-people")
    hu_secret = reset_factor(v, caseworker)
    v.go("/staff/people")
    v.switch_language("en")
    v.shot("staff-people")
    new_secret = reset_factor(v, caseworker)
    assert len({first_secret, hu_secret, new_secret}) == 3, "a reset did not make a new secret"

    # The caseworker: codes of the superseded secrets are refused at once, a code of the one shown last signs in.
    v.driver.delete_all_cookies()
    v.go("/staff/sign-in")
    v.fill({"login": caseworker, "password": cw_password, "code": totp(hu_secret)})
    v.press("main form button[type=submit]")
    assert v.all("#error-summary") and v.t("staff.sign_in.refused") in v.find("#error-summary").text, \
        "a code of the reset authenticator still signs in"
    v.fill({"password": cw_password, "code": totp(new_secret)})
    v.press("main form button[type=submit]")
    assert v.path.startswith("/staff/purpose"), f"the new authenticator does not sign in: {v.path}\n{v.main_text()[:400]}"

    # The security officer, in Hungarian: the key table, a records rotation, a rewrap to the end.
    v.lang = "hu"
    sign_in(v, "oscar@agency.example", DEMO_PASSWORD, lambda: server.demo_code("oscar@agency.example"), "security-operations")
    v.submit(v.find("nav a[href='/staff/keys']"))
    assert v.h1() == v.t("staff.keys.title")
    assert v.all("nav a[href='/staff/keys'][aria-current=page]"), "the navigation does not mark the key screen"
    v.shot("staff-keys")
    rotate(v, "records")
    rewrap(v)
    # …and in English: the index key, and another rewrap.
    v.switch_language("en")
    v.shot("staff-keys")
    rotate(v, "index")
    rewrap(v)
    finish_visit(v)

    # ---- JavaScript off, English: the colleagues added above ----
    w = open_visit(drivers, server, False, "en")
    sign_in(w, officer, so_password, lambda: totp(so_secret), "security-operations")
    rotate(w, "subjects")
    rewrap(w)
    sign_in(w, admin, adm_password, lambda: totp(adm_secret), "administration")
    assert w.path.startswith("/staff/people"), f"an administrator lands on {w.path}"
    last = reset_factor(w, caseworker)
    assert last != new_secret
    finish_visit(w)
