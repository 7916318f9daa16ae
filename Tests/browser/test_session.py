"""The idle limit of a citizen's session, on servers of its own with short limits (`serve --citizen-session-idle`):
the warning dialog (JavaScript), the session bar's "Stay signed in" (without it), and what happens when the limit
passes: the next page asks to sign in again, and an answer typed before is saved once the person is back.

Timing: the portal warns three minutes before the end (portal.js, data-warn-after = limit - 180 s), halfway when the
limit is shorter. The 70 s server is the one the idle test waits on; the 181 s server warns after one second, so the
dialog itself can be tried without waiting. The server notes a session's use at most every quarter of its limit."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

import journeys as J
from conftest import extra_server, finish_visit, make_driver, open_visit_at
from portal import PASSWORD, Visit

SHORT_LIMIT = 70
# Waiting this long after a session's last use ends it for sure (its use may have been noted earlier, never later).
PAST_LIMIT = SHORT_LIMIT + 4

STEP1 = J.by_service("change-of-address").steps[0]
TYPED = {**STEP1, "f-new_address-line1": "9 Typed Before Expiry Road"}


@pytest.fixture(scope="module")
def short_server(server):
    with extra_server(server, "--citizen-session-idle", str(SHORT_LIMIT)) as s:
        yield s


@pytest.fixture(scope="module")
def warning_soon_server(server):
    with extra_server(server, "--citizen-session-idle", "181") as s:
        yield s


def signed_in_visit(driver, base: str, js: bool, lang: str) -> Visit:
    v = open_visit_at(driver, base, js, lang)
    v.new_citizen()
    return v


def dialog_state(v: Visit) -> dict:
    return v.driver.execute_script("""
        var d = document.getElementById('session-warning');
        if (!d) { return null; }
        var t = document.getElementById(d.getAttribute('aria-labelledby'));
        var b = document.getElementById(d.getAttribute('aria-describedby'));
        return {shown: !d.hidden && d.getBoundingClientRect().height > 0, role: d.getAttribute('role'),
                modal: d.getAttribute('aria-modal'), title: t && t.textContent.trim(), body: b && b.textContent.trim(),
                focusInside: d.contains(document.activeElement), focused: document.activeElement.textContent.trim()};
    """)


def wait_for_dialog(v: Visit, within: float) -> dict:
    v.wait_until(lambda: (dialog_state(v) or {}).get("shown"),
                 f"no session warning within {within:.0f} s on {v.path}: data-warn-after="
                 f"{v.find('.session-bar').get_attribute('data-warn-after')!r}, data-expire-after="
                 f"{v.find('.session-bar').get_attribute('data-expire-after')!r}", timeout=within)
    return dialog_state(v)


def check_dialog_and_stay(v: Visit) -> None:
    """The dialog is an announced, focused alert dialog; its button renews the session in the background and the
    page, with what was typed on it, stays."""
    state = dialog_state(v)
    assert state["role"] == "alertdialog" and state["modal"] == "true", f"the warning is not a modal alert dialog: {state}"
    assert state["title"] == v.t("session.warning_title") and state["body"] == v.t("session.warning_body"), state
    assert state["focusInside"] and state["focused"] == v.t("session.stay"), f"the focus is not on the dialog's button: {state}"
    v.keys(Keys.TAB)  # the focus stays in the dialog
    assert dialog_state(v)["focusInside"], "Tab moved the focus out of the open dialog"
    v.shot("session-warning")

    # The answer typed on the page, then "Stay signed in".
    field = v.find("#f-new_address-line1")
    field.send_keys("1 Still Here Street")
    page = v.find("html")
    v.driver.execute_script("""
        window.__dialogHidden = false;
        var d = document.getElementById('session-warning');
        new MutationObserver(function () { if (d.hidden) { window.__dialogHidden = true; } })
            .observe(d, {attributes: true, attributeFilter: ['hidden']});
    """)
    v.find("#session-warning button").click()
    v.wait_until(lambda: v.driver.execute_script("return window.__dialogHidden"), "Stay signed in did not close the dialog")
    renewals = v.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) { return /\\/session\\/extend$/.test(e.name); }).length")
    assert renewals >= 1, "Stay signed in sent nothing to the server"
    assert page == v.find("html"), "Stay signed in reloaded the page"
    assert field.get_attribute("value") == "1 Still Here Street", "the typed answer was lost"
    assert v.client().get("/requests").status == 200, "the session ended"


def test_warning_dialog_halfway_when_the_limit_is_short(drivers, short_server):
    """A 70 s limit is shorter than the three minutes of warning: the dialog comes halfway (35 s after the page
    opened), not at once over every page, and in time to stay signed in."""
    v = signed_in_visit(drivers(True), short_server.url, True, "en")
    request_id = v.start_service("change-of-address")
    assert v.path == J.step_path(request_id, 1)
    opened = time.monotonic()
    # The page counts from what the server says is left of the session (its use is noted coarsely).
    left = int(v.find(".session-bar").get_attribute("data-expire-after"))
    assert 0 < left <= SHORT_LIMIT, f"data-expire-after={left}"
    wait_for_dialog(v, within=left / 2 + 10)
    waited = time.monotonic() - opened
    assert left / 2 - 5 <= waited < left, f"the warning came after {waited:.0f} s, with {left} s of the session left"
    check_dialog_and_stay(v)
    finish_visit(v)


def test_warning_dialog_before_the_end(drivers, warning_soon_server):
    v = signed_in_visit(drivers(True), warning_soon_server.url, True, "hu")
    v.start_service("change-of-address")
    assert v.find(".session-bar").get_attribute("data-warn-after") == "1"
    wait_for_dialog(v, within=10)
    check_dialog_and_stay(v)
    finish_visit(v)


def test_stay_signed_in_button_without_javascript(drivers, short_server):
    v = signed_in_visit(drivers(False), short_server.url, False, "en")
    request_id = v.start_service("change-of-address")
    bar = v.find(".session-bar")
    assert bar.is_displayed() and "1" in bar.find_element("css selector", ".session-text").text, bar.text
    assert not v.find("#session-warning").is_displayed(), "the warning dialog shows without JavaScript"
    button = bar.find_element("css selector", "form[action='/session/extend'] button")
    assert button.text == v.t("session.stay")
    v.submit(button)
    assert v.path == J.step_path(request_id, 1), f"Stay signed in went to {v.path}, not back to the page"
    assert v.all("form[action='/sign-out']"), "not signed in after Stay signed in"
    finish_visit(v)


# ---- the idle limit passes: one wait for three people ---------------------------------------------------------------

@pytest.fixture(scope="module")
def after_idle(drivers, downloads, short_server):
    """Three citizens on the 70 s server: two type step 1 of a change of address and then do nothing (one with,
    one without JavaScript); the third presses "Stay signed in" halfway. Returns once the limit has passed for the two
    idle ones (about 75 s)."""
    own = make_driver(False, downloads)
    try:
        staying = signed_in_visit(own, short_server.url, False, "en")
        signed_in_at = time.monotonic()
        people = {}
        for js in (False, True):
            v = signed_in_visit(drivers(js), short_server.url, js, "en")
            request_id = v.start_service("change-of-address")
            v.fill(TYPED)
            people[js] = (v, request_id)
        last_use = time.monotonic()
        deadline = last_use + PAST_LIMIT
        # The stay comes late enough to be noted as a use, and early enough that the session would have ended at
        # the deadline without it.
        time.sleep(max(0.0, max(signed_in_at + SHORT_LIMIT / 4 + 3, deadline - SHORT_LIMIT / 2) - time.monotonic()))
        staying.submit(staying.find(".session-bar form[action='/session/extend'] button"))
        assert staying.all("form[action='/sign-out']"), "Stay signed in did not keep the session"
        time.sleep(max(0.0, deadline - time.monotonic()))
        yield {"staying": staying, "idle": people}
        for v in [staying] + [p[0] for p in people.values()]:
            finish_visit(v)
    finally:
        own.quit()


def test_stay_signed_in_keeps_the_session_past_the_limit(after_idle):
    v = after_idle["staying"]
    v.go("/requests")
    assert v.path == "/requests" and v.all("form[action='/sign-out']"), \
        f"Stay signed in did not keep the session past {SHORT_LIMIT} s after sign-in: on {v.path}"


@pytest.mark.parametrize("js", [False, True], ids=["nojs-en", "js-en"])
def test_after_the_idle_limit_sign_in_again_keeps_the_typed_answer(after_idle, js):
    v, request_id = after_idle["idle"][js]
    step = J.step_path(request_id, 1)
    assert v.path == step, f"after {PAST_LIMIT} s without activity the browser is on {v.path}, not the step it was left on"
    assert v.value("f-new_address-line1") == TYPED["f-new_address-line1"], "the typed answer is gone from the page"
    v.continue_()
    # The sign-in page answers the step's POST itself (it holds the answers), so the address stays the step's.
    assert v.all("main form[action='/sign-in']") and v.h1() == v.t("sign_in.title"), \
        f"after the idle limit, Continue did not ask to sign in again: {v.path}\n{v.main_text()[:400]}"
    assert v.t("sign_in.expired") in v.find("main .notice").text, "the sign-in page does not say the session ended"
    carried = {e.get_attribute("name"): e.get_attribute("value") for e in v.all("main form input[type=hidden]")}
    assert carried.get("resume") == step, f"the sign-in form does not lead back to the step: {carried}"
    assert carried.get("f.new_address.line1") == TYPED["f-new_address-line1"], f"the typed answer is not carried: {carried}"
    v.shot("signed-out-idle")
    v.fill({"login": v.login, "password": PASSWORD})
    v.press("main form button[type=submit]")
    assert v.path == step + "?saved=1", f"signing in again led to {v.path}, not back to the step"
    assert v.t("form.saved_for_later") in v.find("main .notice").text, "the step does not say the answers were saved"
    for element_id in ("f-new_address-line1", "f-new_address-city", "f-postcode"):
        assert v.value(element_id) == TYPED[element_id], f"{element_id} is {v.value(element_id)!r} after signing in again"
    v.continue_()
    assert v.path == J.step_path(request_id, 2), f"the saved step did not lead on: {v.path}"
