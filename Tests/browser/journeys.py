"""The sample services as journeys: the answers for each step, one deliberate mistake and its correction, and
the outcome the confirmation page should show. Shared by the service, draft, payment and casework tests."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from portal import Visit


def today() -> datetime.date:
    return datetime.date.today()


def years_ago(years: int) -> datetime.date:
    d = today()
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def date_parts(prefix: str, d: datetime.date) -> dict[str, str]:
    return {f"{prefix}-day": str(d.day), f"{prefix}-month": str(d.month), f"{prefix}-year": str(d.year)}


@dataclass
class Mistake:
    """Wrong answers for one step, the field the error summary must link to, then the corrected answers."""
    step: int
    wrong: dict[str, str]
    anchor: str


@dataclass
class Journey:
    service: str
    steps: list[dict[str, str]]
    mistake: Mistake
    outcome: str  # confirmation.approved / confirmation.review / confirmation.rejected
    shown: dict[str, str] = field(default_factory=dict)  # a value the check page must show (row label key → text)


def journeys() -> list[Journey]:
    return [
        Journey(
            "change-of-address",
            [
                # The address and its postcode share a page (`page: new_address` in the catalog).
                {"f-new_address-line1": "5 New Road", "f-new_address-city": "Cork",
                 "f-new_address-postcode": "40123", "f-new_address-country": "IE", "f-postcode": "40123"},
                date_parts("f-move_date", today()),
                {},
            ],
            Mistake(1, {"f-postcode": "4012x"}, "f-postcode"),
            "confirmation.approved",
        ),
        Journey(
            "benefit-application",
            [
                {"f-full_name": "Bea Example"},
                {"f-national_id": "1234567TW"},
                {"f-monthly_income": "850.00", "f-household_size": "3"},
                {"f-bank_account": "IE29AIBK93115212345678"},
                {"f-reason": "Our household income fell after a job loss."},
            ],
            Mistake(4, {"f-bank_account": "not an iban"}, "f-bank_account"),
            "confirmation.review",
        ),
        Journey(
            "class-registration",
            [
                {"f-class_choice-2": "yes"},
                {"f-participant_name": "Cody Example", **date_parts("f-date_of_birth", years_ago(14))},
                {"f-medical_notes": "No allergies."},
            ],
            Mistake(2, {"f-date_of_birth-day": "31", "f-date_of_birth-month": "2", "f-date_of_birth-year": "2012"},
                    "f-date_of_birth-day"),
            "confirmation.approved",
        ),
        Journey(
            "fee-payment",
            [
                {"f-payment_reference": "RT-00123456"},
                {"f-amount": "25.50"},
                {"f-payer_email": "payer@example.org"},
            ],
            Mistake(1, {"f-payment_reference": "RT-123"}, "f-payment_reference"),
            "confirmation.approved",
        ),
        Journey(
            "health-plan-enrolment",
            [
                {"f-employee_id": "E123456"},
                {"f-plan-1": "yes"},
                {"f-dependants_count": "2"},
                {"f-health_declaration": "", "f-has_conditions-1": "yes"},
            ],
            Mistake(3, {"f-dependants_count": "13"}, "f-dependants_count"),
            "confirmation.review",
        ),
        Journey(
            "report-submission",
            [
                {"f-report_type-0": "yes"},
                {**date_parts("f-period_start", datetime.date(2025, 1, 1)), **date_parts("f-period_end", datetime.date(2025, 3, 31))},
                {"f-summary": "Quarterly waste return for the first quarter."},
                {"f-report_file": "waste-return-2025-q1.pdf"},
                {"f-contact_phone": "+353851234567"},
            ],
            Mistake(3, {"f-summary": "short"}, "f-summary"),
            "confirmation.review",
        ),
        Journey(
            "return-or-dispute",
            [
                {"f-request_kind-0": "yes"},
                {"f-order_reference": "ORD-123456"},
                {"f-amount": "19.99"},
                {"f-reason": "The kettle arrived broken."},
            ],
            Mistake(3, {"f-amount": "0"}, "f-amount"),
            "confirmation.approved",
        ),
    ]


def by_service(service: str) -> Journey:
    return next(j for j in journeys() if j.service == service)


def step_path(request_id: str, n: int) -> str:
    return f"/requests/{request_id}/step/{n}"


def answer_steps(v: Visit, request_id: str, steps: list[dict[str, str]], first: int = 1,
                 mistake: Mistake | None = None) -> None:
    """Answers steps `first`… in order; on the mistake's step, first sends the wrong answer and checks the error."""
    for n, answers in enumerate(steps[first - 1:], start=first):
        assert v.path.startswith(step_path(request_id, n)), f"expected step {n}, on {v.path}: {v.main_text()[:300]}"
        if mistake and mistake.step == n:
            v.fill(mistake.wrong)
            v.continue_()
            check_error(v, request_id, n, mistake.anchor)
            v.shot("step-error")
        v.fill(answers)
        v.continue_()
        assert not v.all("#error-summary"), f"step {n} of {v.path} refused the answers {answers}: {v.main_text()[:500]}"


def check_error(v: Visit, request_id: str, n: int, anchor: str) -> None:
    """The step came back with an error summary linking to the field and the message beside the field."""
    assert v.path.startswith(step_path(request_id, n)), f"after a wrong answer expected step {n} again, on {v.path}"
    title = v.driver.title
    prefix = v.t("common.error_prefix")
    assert title.startswith(prefix + " "), f"the title {title!r} does not start with {prefix!r}"
    links = v.error_summary_links()
    assert links, "no error summary links"
    # A date's link goes to its first part in the reader's order (the day in English, the year in Hungarian).
    anchors = {anchor, re.sub(r"-day$", "-year", anchor)}
    anchor = next((href for href, _ in links if href in anchors), anchor)
    assert any(href == anchor for href, _ in links), f"error summary links {links} do not point to #{anchor}"
    assert v.all(f"#{anchor}"), f"the summary links to #{anchor}, which is not on the page"
    field_id = re.sub(r"^(f-[^-]+)-[a-z0-9]+$", r"\1", anchor)
    message = v.all(f"#{field_id}-error")
    assert message and message[0].is_displayed(), f"no error message #{field_id}-error beside the field"
    summary_text = dict(links)[anchor]
    assert summary_text in message[0].text, f"the summary says {summary_text!r}, the field says {message[0].text!r}"
    assert prefix in message[0].get_attribute("textContent"), "the field's error has no hidden 'Error:' prefix"
    described = " ".join(
        (e.get_attribute("aria-describedby") or "") for e in v.all(f".field-has-error [aria-describedby]"))
    assert f"{field_id}-error" in described.split(), f"nothing is aria-describedby {field_id}-error"
    if v.js:
        active = v.driver.execute_script("return document.activeElement && document.activeElement.id")
        assert active == "error-summary", f"focus is on {active!r}, not on the error summary"
    # The summary link moves to the field (a same-page anchor; no new page).
    v.find(f"#error-summary a[href='#{anchor}']").click()
    v.wait_until(lambda: v.driver.execute_script("return location.hash") == f"#{anchor}", "the summary link did not move to the field")
    if v.js:
        v.wait_until(lambda: v.driver.execute_script("return document.activeElement.id") == anchor,
                     f"following the summary link did not focus #{anchor}")


def submit_from_check(v: Visit, request_id: str) -> str:
    """On check-your-answers: try without the declaration (error), then declare and submit. Returns the reference."""
    assert v.path == f"/requests/{request_id}/check", f"expected check answers, on {v.path}"
    v.press("main form[action$='/check'] button[type=submit], main form button[type=submit]")
    assert v.all("#declaration-error"), f"submitting without the declaration was accepted: {v.path}"
    assert v.driver.title.startswith(v.t("common.error_prefix")), "declaration error: title without the prefix"
    assert any(href == "declaration" for href, _ in v.error_summary_links()), v.error_summary_links()
    v.fill({"declaration": "yes"})
    v.press("main form button[type=submit]")
    assert v.path == f"/requests/{request_id}/submitted", f"submitting ended on {v.path}: {v.main_text()[:400]}"
    reference = v.find(".reference").text
    assert re.fullmatch(r"REQ-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", reference), f"odd reference {reference!r}"
    return reference


def run_to_check(v: Visit, journey: Journey, with_mistake: bool = True) -> str:
    request_id = v.start_service(journey.service)
    answer_steps(v, request_id, journey.steps, mistake=journey.mistake if with_mistake else None)
    assert v.path == f"/requests/{request_id}/check", f"{journey.service}: after the last step on {v.path}"
    return request_id


# The same answers in the JSON API's form, for tests that set a request up through the API (the form is tested above).
API_FIELDS = {
    "benefit-application": {
        "full_name": "Bea Example", "national_id": "1234567TW", "monthly_income": "850.00", "household_size": 3,
        "bank_account": "IE29AIBK93115212345678", "reason": "Our household income fell after a job loss.",
    },
    "change-of-address": {
        "new_address": {"line1": "5 New Road", "city": "Cork", "postcode": "40123", "country": "IE"},
        "postcode": "40123", "move_date": today().isoformat(),
    },
    "fee-payment": {"payment_reference": "RT-00123456", "amount": "25.50", "payer_email": "payer@example.org"},
}


def catalog_label(service: str, field_id: str, language: str) -> str:
    """A field's label in one language, read from Catalog/SERVICE.yaml (its `label:` mapping of languages)."""
    text = (Path(__file__).resolve().parents[2] / "Catalog" / f"{service}.yaml").read_text(encoding="utf-8")
    match = re.search(rf"\n  - id: {re.escape(field_id)}\n(?:    .*\n)*?    label:\n((?:      [a-z]{{2}}: .*\n)+)", text)
    assert match, f"no label for {field_id} in Catalog/{service}.yaml"
    labels = dict(re.findall(r"      ([a-z]{2}): (.*)", match.group(1)))
    assert language in labels, f"{field_id} in Catalog/{service}.yaml has no {language} label"
    return labels[language].strip().strip('"')
