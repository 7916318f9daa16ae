"""Save and come back later: a draft saved mid-form survives signing out, is found on My requests, resumes with
its answers, and is finished and sent."""
from __future__ import annotations

import journeys as J


def test_draft_saved_resumed_after_sign_in_and_sent(visit):
    v = visit
    login = v.new_citizen()
    journey = J.by_service("benefit-application")
    request_id = v.start_service(journey.service)

    # Two steps answered; the second is saved with "Save and come back later" instead of Continue.
    J.answer_steps(v, request_id, journey.steps[:1])
    assert v.path.startswith(J.step_path(request_id, 2)), f"after step 1 on {v.path}"
    v.fill(journey.steps[1])
    save = v.find("main button[name=action][value=save-and-leave]")
    assert save.text == v.t("common.save_and_leave"), f"the save button says {save.text!r}"
    v.submit(save)
    assert v.path == f"/requests?saved={request_id}", f"saving for later ended on {v.path}"
    notice = v.all("main .notice")
    assert notice and v.t("requests.draft_saved") in notice[0].text, f"no 'saved' notice: {v.main_text()[:400]}"
    v.shot("draft-saved")

    v.sign_out()
    assert v.path == "/signed-out", f"signing out ended on {v.path}"
    v.sign_in(login)
    v.go("/requests")
    v.shot("my-requests-draft")
    main = v.main_text()
    assert v.t("requests.drafts") in main, f"My requests has no '{v.t('requests.drafts')}' part:\n{main}"
    links = v.all(f"main .request-row a[href='/requests/{request_id}/check']")
    assert len(links) == 1, f"the draft {request_id} is not listed once with a link to continue it:\n{main}"
    row = v.find(f"main .request-row:has(a[href='/requests/{request_id}/check'])")
    assert v.t("status.draft") in row.text, f"the draft's row does not say {v.t('status.draft')!r}: {row.text}"
    assert v.t("requests.continue") in links[0].get_attribute("textContent"), "the draft's link does not say Continue"

    # Resuming opens check your answers: the two saved answers are there, the three others missing.
    v.submit(links[0])
    assert v.path == f"/requests/{request_id}/check", f"continuing the draft opened {v.path}"
    rows = v.all("main .summary-list .summary-row")
    texts = [r.text for r in rows]
    assert any("Bea Example" in t for t in texts), f"the saved full name is not on check answers: {texts}"
    assert any("1234567TW" in t for t in texts), f"the saved national id is not on check answers: {texts}"
    missing = [r for r in rows if v.t("check.missing") in r.text]
    assert len(missing) == 4, f"expected 4 missing answers (income, household, bank account, reason): {texts}"

    # The saved answers are in the form again.
    v.go(J.step_path(request_id, 1))
    assert v.value("f-full_name") == "Bea Example", "the saved full name is not in step 1"
    v.go(J.step_path(request_id, 2))
    assert v.value("f-national_id") == "1234567TW", "the saved national id is not in step 2"
    v.continue_()
    J.answer_steps(v, request_id, journey.steps, first=3)
    reference = J.submit_from_check(v, request_id)
    assert v.t("confirmation.review") in v.main_text(), f"the confirmation does not say it goes to review: {v.main_text()}"

    v.go("/requests")
    main = v.main_text()
    assert reference in main, f"{reference} is not on My requests after sending"
    assert not v.all(f"main a[href='/requests/{request_id}/check']"), "the sent request is still listed as a draft"
