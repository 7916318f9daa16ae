"""The staff side in a real browser: sign-in with a one-time code, the purpose of use, the work queues, the case
page (masked answers, assignment, internal notes, the case history, the decision) and the search, in both
languages with axe-core on every page, and without JavaScript. The citizen's request is made through the API.

Demo staff (serve --demo): sam@agency.example is the central office's supervisor, carol@agency.example a
caseworker of it; both sign in with the demo password and the code `strongroom demo code` prints."""
from __future__ import annotations

import secrets
import time

import pytest

import journeys as J
from portal import Visit

STAFF_PASSWORD = "demo-staff-passphrase"
FIELDS = J.API_FIELDS["benefit-application"]


def staff_sign_in(v: Visit, server, login: str, purpose: str) -> None:
    """Signs in through /staff/sign-in (a wrong code first: refused with the same words as a wrong password), then
    chooses the purpose of use on the page the sign-in leads to."""
    v.driver.delete_all_cookies()
    v.login = None
    v.go(f"/staff/sign-in?lang={v.lang}")
    v.shot("staff-sign-in")
    v.fill({"login": login, "password": STAFF_PASSWORD, "code": "000000"})
    v.press("main form button[type=submit]")
    assert v.all("#error-summary"), f"a wrong one-time code was not refused:\n{v.main_text()}"
    code = server.demo_code(login)
    v.fill({"password": STAFF_PASSWORD, "code": code})
    v.press("main form button[type=submit]")
    if v.path.startswith("/staff/sign-in"):
        # A code opens one session only: this person signed in already during this 30-second step. The next one.
        deadline = time.monotonic() + 35
        while (fresh := server.demo_code(login)) == code and time.monotonic() < deadline:
            time.sleep(1)
        v.fill({"password": STAFF_PASSWORD, "code": fresh})
        v.press("main form button[type=submit]")
    assert v.path.startswith("/staff/purpose"), f"staff sign-in ended on {v.path}:\n{v.main_text()}"
    assert v.h1() == v.t("staff.purpose.title")
    v.shot("staff-purpose")
    # Sending no purpose is an error on the page; then the one asked for.
    v.press("main form button[type=submit]")
    assert v.all("#error-summary"), "choosing no purpose was not refused"
    v.find(f"input[name=purpose][value='{purpose}']").click()
    v.press("main form button[type=submit]")
    assert v.path.startswith("/staff"), f"choosing a purpose ended on {v.path}"
    bar = v.find(".purpose-bar").text
    assert v.t(f"staff.purposes.{purpose.replace('-', '_')}") in bar, f"the purpose bar does not name {purpose}: {bar!r}"
    v.login = login


def open_case(v: Visit, request_id: str, queue: str) -> None:
    v.go(f"/staff?queue={queue}")
    links = v.all(f"main a[href='/staff/cases/{request_id}']")
    assert links, f"{request_id} is not in the {queue} queue:\n{v.main_text()}"
    v.submit(links[0])
    assert v.path == f"/staff/cases/{request_id}", f"the queue's link went to {v.path}"


# Two modes, not three: each staff sign-in spends a one-time code, and a third round would wait for the next 30-second
# step. Hungarian with JavaScript (axe-core on every page), English without; the oversight test covers English with it.
@pytest.mark.parametrize("visit", [("js", "hu"), ("nojs", "en")], ids=["js-hu", "nojs-en"], indirect=True)
def test_supervisor_assigns_notes_and_searches_then_the_caseworker_decides(visit, server):
    v = visit
    v.new_citizen()
    request_id = v.create_request("benefit-application", FIELDS)
    # A move to a 9xxxx postcode is routed to the north office: closed to the central office's supervisor but by
    # breaking the glass.
    north_id = v.create_request("change-of-address", {**J.API_FIELDS["change-of-address"], "postcode": "90123"})
    citizen = v.api()  # the citizen's session stays valid while this browser signs in as staff

    # The supervisor: the unassigned queue shows metadata only.
    staff_sign_in(v, server, "sam@agency.example", "supervision")
    v.go("/staff?queue=unassigned")
    v.shot("staff-queue")
    queue_text = v.main_text()
    assert FIELDS["full_name"] not in queue_text and FIELDS["national_id"] not in queue_text, "the queue shows a field value"
    open_case(v, request_id, "unassigned")
    page = v.main_text()
    assert FIELDS["full_name"] in page, "the case page does not show the name"
    assert FIELDS["national_id"] not in page and FIELDS["bank_account"] not in page, "masked answers are shown whole"
    history = v.find("#history").text
    assert v.t("staff.case.history_citizen") in history and v.t("actions.request_create") in history, \
        f"the case history does not show the citizen's request:\n{history}"

    # Assign to Carol (a forged choice is not possible from the page: the select offers the office's staff only).
    options = [o.get_attribute("textContent") for o in v.all("#assignee option")]
    assert "carol@agency.example" in options and "dave@agency.example" not in options, f"assignees offered: {options}"
    v.fill({"assignee": next(o.get_attribute("value") for o in v.all("#assignee option")
                             if o.get_attribute("textContent") == "carol@agency.example")})
    v.press("main form[action$='/assign'] button[type=submit]")
    assert v.path == f"/staff/cases/{request_id}?done=assigned", f"assigning ended on {v.path}"
    assert v.t("staff.case.done_assigned") in v.find("main .notice").text

    # An internal note: empty is refused, then kept apart from the conversation with the citizen.
    v.press("main form[action$='/notes'] button[type=submit]")
    assert v.all("#error-summary") and v.t("staff.case.note_missing") in v.find("#error-summary").text
    note = f"Checked the household size with the housing office (N-{secrets.token_hex(4)})."
    v.fill({"note": note})
    v.press("main form[action$='/notes'] button[type=submit]")
    assert v.path.startswith(f"/staff/cases/{request_id}?done=noted"), f"adding the note ended on {v.path}"
    assert note in v.find("#notes").text and note not in v.find("#messages").text
    v.shot("staff-case")

    # The search, by the national id in another spelling; the value travels in a POST body, never in the address.
    v.go("/staff/search")
    v.find("input[name=field][value=national_id]").click()
    v.fill({"value": FIELDS["national_id"].lower()})
    v.press("main form button[type=submit]")
    assert FIELDS["national_id"].lower() not in v.driver.current_url.lower()
    results = v.find("main .result-list").text
    assert FIELDS["full_name"] in results, f"the search did not find the request:\n{v.main_text()}"
    assert FIELDS["bank_account"] not in results, "the search shows more than it reveals"
    v.shot("staff-search")

    # Break the glass on the north office's case: a warning page with the time limit, a reason, then a banner on
    # every page while the grant lasts.
    v.go(f"/staff/cases/{north_id}")
    assert v.h1() == v.t("staff.break_glass.title"), f"the north office's case did not ask for break-glass:\n{v.main_text()[:400]}"
    assert v.t("staff.break_glass.limit_label") in v.main_text()
    v.shot("staff-break-glass")
    justification = "The citizen phoned: the move is urgent, the old address is being sold tomorrow"
    v.fill({"justification": justification})
    v.press("main form[action$='/break-glass'] button[type=submit]")
    assert v.path == f"/staff/cases/{north_id}?done=opened", f"breaking the glass ended on {v.path}"
    v.go("/staff?queue=unassigned")
    banner = v.find(".break-glass-bar").text
    assert v.t("staff.break_glass.banner_title") in banner, f"no break-glass banner on the queue page: {banner!r}"
    assert v.all(f".break-glass-bar a[href='/staff/cases/{north_id}']"), "the banner does not link to the case"
    v.shot("staff-banner")

    # Carol finds it assigned to her, ready to decide; she reveals one masked identifier, decides with a standard
    # reason and closes the case.
    staff_sign_in(v, server, "carol@agency.example", "case-handling")
    assert not v.all(".break-glass-bar"), "the supervisor's banner is shown to another person"
    open_case(v, request_id, "ready")
    assert note in v.find("#notes").text, "a colleague's note is not shown to the assignee"
    assert FIELDS["national_id"] not in v.main_text()
    v.press("main form[action$='/reveal']:has(input[name=field][value=national_id]) button[type=submit]")
    assert FIELDS["national_id"] in v.main_text(), "revealing did not show the national id in full"
    assert FIELDS["bank_account"] not in v.main_text(), "revealing one field showed another"
    assert v.t("staff.case.revealed") in v.find("#answers").text
    v.shot("staff-reveal")
    v.go(f"/staff/cases/{request_id}")
    assert FIELDS["national_id"] not in v.main_text(), "a revealed value stayed on the page"
    v.press("main form[action$='/decision'] button[type=submit]")
    summary = v.find("#error-summary").text
    assert v.t("staff.case.outcome_missing") in summary and v.t("staff.case.reason_missing") in summary, summary
    v.find("#outcome").click()
    v.fill({"reason_code": "income-below-threshold", "reason": "Checked against the payslips sent by post."})
    v.press("main form[action$='/decision'] button[type=submit]")
    assert v.path == f"/staff/cases/{request_id}?done=decided", f"deciding ended on {v.path}"
    assert v.t("staff.case.done_decided") in v.find("main .notice").text
    assert v.t("actions.case_decide") in v.find("#history").text
    v.press("main form[action$='/close'] button[type=submit]")
    assert v.path == f"/staff/cases/{request_id}?done=closed", f"closing ended on {v.path}"
    assert v.t("staff.case.done_closed") in v.find("main .notice").text
    v.go("/staff?queue=recent&status=closed")
    assert v.all(f"main a[href='/staff/cases/{request_id}']"), f"the closed case is not among those handled recently:\n{v.main_text()}"
    v.shot("staff-recent")

    # The auditor reviews the supervisor's break-glass access, with the reason given, and sees the log's state.
    staff_sign_in(v, server, "audrey@agency.example", "audit")
    v.go("/staff/break-glass")
    items = [r for r in v.all("main section.review-item") if justification in r.text and r.find_elements("css selector", "form")]
    assert items, f"the break-glass access is not waiting for review:\n{v.main_text()[:800]}"
    items[0].find_element("css selector", "input[value=justified]").click()
    v.submit(items[0].find_element("css selector", "button[type=submit]"))
    assert v.path.startswith("/staff/break-glass?done=reviewed"), f"the review ended on {v.path}"
    v.go("/staff/audit?action=session.create")
    state = v.find("section[aria-labelledby=state-title]").text
    assert v.t("staff.audit.checkpoint") in state and v.t("staff.audit.bundle") in state, state
    v.shot("staff-audit")
    actions = {c.text for c in v.all("main table code")} - {""}
    assert "session.create" in actions and not [a for a in actions if a.startswith("request.")], \
        f"the action filter did not apply: {sorted(actions)[:10]}"
    # The verification runs in the background; the page shows its progress and then its report (with JavaScript the
    # region refreshes itself; without it the page is loaded again, as its "Update progress" link does).
    v.press("main form[action='/staff/audit/verify'] button[type=submit]")
    assert v.path.startswith("/staff/audit?done=verifying"), f"starting the verification ended on {v.path}"
    deadline = time.monotonic() + 30
    while not v.all("#report-title") and time.monotonic() < deadline:
        time.sleep(0.5)
        if not v.js:
            v.go("/staff/audit")
    assert v.t("staff.audit.valid") in v.find("#report-title").text, f"the log does not verify:\n{v.main_text()[:600]}"
    v.shot("staff-audit-verified")

    v.sign_out()

    # The citizen sees the decision with its standard reason (closed now), never the note; the reveal is in their
    # access report.
    seen = citizen.call("GET", f"/v1/requests/{request_id}")
    assert seen.status == 200 and seen.json()["status"] == "closed", f"{seen.status} {seen.text}"
    assert seen.json().get("decision_reason_code") == "income-below-threshold", seen.text
    report = citizen.call("GET", "/v1/me/access-report")
    assert report.status == 200 and any(i.get("action") == "request.reveal" for i in report.json()["items"]), report.text[:600]
    messages = citizen.call("GET", f"/v1/requests/{request_id}/messages")
    assert messages.status == 200 and note not in messages.text, f"the citizen's messages: {messages.status} {messages.text}"
