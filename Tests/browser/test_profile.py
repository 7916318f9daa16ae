"""The profile: fill it in, see it, and find it pre-filled in a service form."""
from __future__ import annotations

import journeys as J

PROFILE = {
    "f-family_name": "Kovács",
    "f-given_names": "Éva Mária",
    "f-phone": "+353851112233",
    "f-postal_address-line1": "12 Harbour Street",
    "f-postal_address-city": "Cork",
    "f-postal_address-postcode": "40200",
    "f-postal_address-country": "IE",
    "f-date_of_birth-day": "7",
    "f-date_of_birth-month": "3",
    "f-date_of_birth-year": "1985",
}


def fill_profile(v, extra: dict[str, str] | None = None) -> dict[str, str]:
    email = f"eva.{v.login.split('@')[0]}@example.net"
    answers = {**PROFILE, "f-email": email, **(extra or {})}
    v.go("/profile")
    v.shot("profile-empty")
    v.follow("/profile/edit")
    v.shot("profile-edit")
    v.fill(answers)
    v.press("main form[action='/profile/edit'] button[type=submit]")
    assert not v.all("#error-summary"), f"the profile was refused: {v.main_text()[:600]}"
    return answers


def test_profile_shows_and_prefills_services(visit):
    v = visit
    v.new_citizen()
    answers = fill_profile(v)
    if v.path != "/profile":
        v.go("/profile")
    v.shot("profile")
    text = v.main_text()
    for key in ("f-family_name", "f-given_names", "f-email", "f-phone", "f-postal_address-line1", "f-postal_address-city",
                "f-postal_address-postcode"):
        assert answers[key] in text, f"/profile does not show {answers[key]!r}:\n{text}"
    assert "1985" in text, f"/profile does not show the date of birth:\n{text}"
    # Editing again shows the saved values in the form.
    v.go("/profile/edit")
    assert v.value("f-family_name") == answers["f-family_name"]
    assert v.value("f-date_of_birth-year") == "1985"

    # Change of address offers the profile's email for the confirmation.
    request_id = v.start_service("change-of-address")
    journey = J.by_service("change-of-address")
    # Its steps: the address with its postcode, the moving date, then the email for the confirmation.
    last = len(journey.steps)
    J.answer_steps(v, request_id, journey.steps[:last - 1])
    assert v.path.startswith(J.step_path(request_id, last)), v.path
    assert v.value("f-contact_email") == answers["f-email"], "the contact email is not pre-filled from the profile"
    # The benefit application offers the full name.
    request_id = v.start_service("benefit-application")
    full = v.value("f-full_name")
    assert answers["f-family_name"] in full and "Éva" in full, f"the full name is pre-filled as {full!r}"
