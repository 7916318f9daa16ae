"""Casework seen by the citizen: a caseworker (through the JSON API) asks for more information, the citizen reads
the question, replies and changes an answer, sends the request again, and later sees the decision and its reason."""
from __future__ import annotations

import secrets

import journeys as J


def request_row(v, request_id: str):
    rows = v.all(f"main .request-row:has(a[href='/requests/{request_id}'])")
    assert rows, f"{request_id} is not on My requests:\n{v.main_text()}"
    return rows[0]


def test_information_asked_answered_and_decided(visit, staff):
    v = visit
    v.new_citizen()
    request_id = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])

    claimed = staff.call("POST", f"/v1/cases/{request_id}/claim")
    assert claimed.status == 200, f"claiming answered {claimed.status}: {claimed.text}"
    assignee = claimed.json()["assignee"]
    assert claimed.json()["status"] == "in-review" and assignee, claimed.text
    question = f"Please tell us your household income after the job loss (Q-{secrets.token_hex(4)})."
    asked = staff.call("POST", f"/v1/cases/{request_id}/request-info", {"message": question})
    assert asked.status == 200 and asked.json()["status"] == "info-requested", f"request-info: {asked.status} {asked.text}"

    # My requests: the request needs an answer.
    v.go("/requests")
    row = request_row(v, request_id)
    assert v.t("status.info_requested") in row.text, f"the row does not say {v.t('status.info_requested')!r}: {row.text}"

    # The request page: the status, the inset that says what to do with its link, and the question.
    v.submit(row.find_element("css selector", "a"))
    assert v.path == f"/requests/{request_id}", f"the row's link went to {v.path}"
    v.shot("request-info-requested")
    assert v.find("main .tag-large").text == v.t("status.info_requested"), f"status shown: {v.find('main .tag-large').text!r}"
    inset = v.all("main .inset-action")
    assert inset and v.t("request.info_requested_body") in inset[0].text, f"no 'we need more information' inset:\n{v.main_text()}"
    answer_link = inset[0].find_element("css selector", f"a[href='/requests/{request_id}/check']")
    assert answer_link.text == v.t("request.answer_info"), f"the inset's link says {answer_link.text!r}"
    asked_message = [m for m in v.all("main .messages .message") if question in m.text]
    assert asked_message, f"the caseworker's question is not shown:\n{v.main_text()}"
    assert v.t("messages.info_request_badge") in asked_message[0].text, "the question is not marked as a question for you"
    assert v.t("messages.agency") in asked_message[0].text, "the question is not shown as from the agency's staff"
    assert v.t("history.info_requested") in v.main_text(), "the history does not say information was asked for"

    # An empty reply is refused with the error summary, then a real reply is sent.
    v.press("main form[action$='/messages'] button[type=submit]")
    assert v.all("#error-summary") and v.t("messages.empty") in v.find("#error-summary").text, "an empty reply was not refused"
    if v.js:
        assert v.driver.execute_script("return document.activeElement.id") == "error-summary", "focus is not on the error summary"
    reply = f"My income is now 620 euro a month (A-{secrets.token_hex(4)})."
    v.fill({"message": reply})
    v.press("main form[action$='/messages'] button[type=submit]")
    assert v.path.startswith(f"/requests/{request_id}?sent=1"), f"sending the reply ended on {v.path}"
    assert v.t("messages.sent") in v.find("main .notice").text, "no 'message sent' notice"
    mine = [m for m in v.all("main .messages .message-mine") if reply in m.text]
    assert mine and v.t("messages.you") in mine[0].text, f"the reply is not shown as yours:\n{v.main_text()}"

    # Change an answer and send the request again.
    v.submit(v.find(f"main .inset-action a[href='/requests/{request_id}/check']"))
    assert v.path == f"/requests/{request_id}/check", f"the answer link went to {v.path}"
    send = v.find("main form[action$='/submit'] button[type=submit]")
    assert send.text == v.t("check.resubmit"), f"the send button says {send.text!r}, not {v.t('check.resubmit')!r}"
    v.submit(v.find(f"main .summary-action a[href*='/requests/{request_id}/step/3']"))
    assert v.path.startswith(J.step_path(request_id, 3)), f"the Change link went to {v.path}"
    assert v.t("request.info_requested_body") in v.find("main .inset").text, "the step does not say information is needed"
    assert v.value("f-monthly_income") in ("850.00", "850,00"), f"the stored income shows as {v.value('f-monthly_income')!r}"
    v.fill({"f-monthly_income": "620.00"})
    v.continue_()
    assert v.path == f"/requests/{request_id}/check", f"after changing the income on {v.path}"
    assert any("620" in r.text for r in v.all("main .summary-row")), "check answers does not show the new income"
    J.submit_from_check(v, request_id)
    assert v.t("confirmation.review") in v.main_text(), f"the confirmation does not say it goes to review:\n{v.main_text()}"

    v.go(f"/requests/{request_id}")
    assert v.find("main .tag-large").text == v.t("status.submitted"), f"after sending again the status is {v.find('main .tag-large').text!r}"
    assert not v.all("main .inset-action"), "the 'we need more information' inset is still shown after sending again"

    # The caseworker sees the reply and the new answer, and still has the case.
    messages = staff.call("GET", f"/v1/requests/{request_id}/messages")
    assert messages.status == 200, f"messages: {messages.status} {messages.text}"
    bodies = [(m["kind"], m["body"]) for m in messages.json()["items"]]
    assert any(body == reply for _, body in bodies), f"the caseworker does not see the reply: {bodies}"
    assert any(body == question for _, body in bodies), f"the caseworker does not see the question: {bodies}"
    case = staff.call("GET", f"/v1/requests/{request_id}")
    assert case.status == 200, f"reading the case: {case.status} {case.text}"
    assert case.json()["status"] == "submitted" and case.json()["assignee"] == assignee, case.text
    assert "620.00" in case.json()["fields"]["monthly_income"]["value"], f"the caseworker sees {case.json()['fields']['monthly_income']}"

    # The decision, with its reason, reaches the citizen's request page.
    reason = f"Your household income is below the threshold for {3} people (R-{secrets.token_hex(4)})."
    decided = staff.call("POST", f"/v1/cases/{request_id}/decision", {"outcome": "approve", "reason": reason})
    assert decided.status == 200 and decided.json()["outcome"] == "approved", f"decision: {decided.status} {decided.text}"
    v.go("/requests")
    row = request_row(v, request_id)
    assert v.t("status.decided_approved") in row.text, f"the row does not say approved: {row.text}"
    v.go(f"/requests/{request_id}")
    v.shot("request-decided")
    assert v.find("main .tag-large").text == v.t("status.decided_approved")
    decision = v.find("main section[aria-labelledby=decision-title]")
    assert v.t("request.decision_title") in decision.text and v.t("request.approved") in decision.text, decision.text
    assert v.t("request.reason_title") in decision.text, f"the decision has no reason heading: {decision.text}"
    assert reason in decision.find_element("css selector", ".inset").text, f"the reason is not shown: {decision.text}"
    assert v.t("history.approved") in v.main_text(), "the history does not say a member of staff approved it"
    assert not v.all("main a[href$='/withdraw']"), "a decided request still offers to withdraw it"
