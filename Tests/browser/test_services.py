"""Every sample service from its page to the confirmation: one wrong answer and its correction, check your
answers with a working Change link, the declaration, and the reference and decision on the confirmation."""
from __future__ import annotations

import pytest

import journeys as J
from conftest import two_modes

CASES = [
    pytest.param(mode, journey, id=f"{mode[0]}-{mode[1]}-{journey.service}")
    for i, journey in enumerate(J.journeys()) for mode in two_modes(i)
]


@pytest.mark.parametrize("visit,journey", CASES, indirect=["visit"])
def test_service_start_to_confirmation(visit, journey):
    v = visit
    v.new_citizen()
    request_id = J.run_to_check(v, journey)
    v.shot("check-answers")

    # Every answer has a row with a Change link back to its step; the first one round-trips to this page.
    rows = v.all("main .summary-list .summary-row")
    assert len(rows) >= len([s for s in journey.steps if s]), f"check answers shows {len(rows)} rows"
    change = v.all("main .summary-action a")
    assert change and all(a.get_attribute("href") for a in change), "check answers has no Change links"
    last = change[-1].get_attribute("href")
    assert f"/requests/{request_id}/step/{len(journey.steps)}" in last, f"the last Change link goes to {last}"
    v.submit(change[0])
    assert v.path.startswith(J.step_path(request_id, 1)), f"the first Change link went to {v.path}"
    assert v.all("main form input[name=from][value=check]"), "a step opened from check answers does not return there"
    v.fill(journey.steps[0])
    v.continue_()
    assert v.path == f"/requests/{request_id}/check", f"after changing an answer, on {v.path} instead of check answers"

    reference = J.submit_from_check(v, request_id)
    v.shot("confirmation")
    main = v.main_text()
    assert v.t(journey.outcome) in main, f"{journey.service}: the confirmation does not say {v.t(journey.outcome)!r}:\n{main}"

    v.go("/requests")
    v.shot("my-requests")
    assert reference in v.main_text(), f"{reference} is not on My requests"
    v.follow(f"/requests/{request_id}")
    assert reference in v.main_text(), "the request page does not show the reference"
    v.shot("request")
