"""Switching language in the middle of a service: the step with saved answers comes back in the other language with
the answers in it, and the journey goes on to the confirmation in that language."""
from __future__ import annotations

import journeys as J
import messages


def other_language(lang: str) -> str:
    return "hu" if lang == "en" else "en"


def test_switch_language_mid_journey_keeps_answers(visit):
    v = visit
    first, second = v.lang, other_language(v.lang)
    v.new_citizen()
    journey = J.by_service("change-of-address")
    request_id = v.start_service(journey.service)
    J.answer_steps(v, request_id, journey.steps[:1])
    # Back on step 1 its answers are saved (Continue stored them); the switch is a plain link.
    v.follow(J.step_path(request_id, 1))
    assert v.path == J.step_path(request_id, 1), f"the back link went to {v.path}"
    step1 = journey.steps[0]
    assert v.value("f-new_address-line1") == step1["f-new_address-line1"], "step 1's saved answer is not shown"
    label_before = v.find("label[for='f-new_address-city']").text
    assert label_before == v.t("form.address_city")

    v.switch_language(second)
    assert v.path.startswith(J.step_path(request_id, 1) + "?"), f"the switch went to {v.path}, not the same step"
    html_lang = v.find("html").get_attribute("lang")
    assert html_lang == second, f"<html lang={html_lang!r}> after switching to {second!r}"
    v.shot("step-switched-language")
    # The page's own texts are the other language's.
    assert v.find("label[for='f-new_address-city']").text == messages.text(second, "form.address_city")
    assert v.find("main button[name=action][value=continue]").text == messages.text(second, "common.continue")
    assert v.find("main button[name=action][value=save-and-leave]").text == messages.text(second, "common.save_and_leave")
    assert messages.format(second, "form.progress", step="1", count=str(len(journey.steps))) in v.find("main .progress").text
    assert v.find("main .back-link").text.endswith(messages.text(second, "common.back"))
    title = J.catalog_label(journey.service, "new_address", second)
    assert title in v.main_text(), f"the field's label is not in {second}: {v.main_text()[:500]}"
    assert v.find(f"header .language-switch a[hreflang='{first}']"), f"no link back to {first}"
    # The answers are kept.
    for element_id in ("f-new_address-line1", "f-new_address-city", "f-new_address-postcode", "f-new_address-country", "f-postcode"):
        assert v.value(element_id) == step1[element_id], f"{element_id} is {v.value(element_id)!r} after the switch"

    # The rest of the journey, in the new language (every page checks <html lang>, the texts follow v.lang).
    v.continue_()
    J.answer_steps(v, request_id, journey.steps, first=2)
    assert v.h1() == messages.text(second, "check.title"), f"check answers in {second}: {v.h1()!r}"
    assert any(step1["f-new_address-line1"] in r.text for r in v.all("main .summary-row")), "the address is not on check answers"
    J.submit_from_check(v, request_id)
    v.shot("confirmation-switched-language")
    assert v.find("main h1").text == messages.text(second, "confirmation.title")
    assert messages.text(second, journey.outcome) in v.main_text(), f"the confirmation is not in {second}:\n{v.main_text()}"
    # The choice stays: a page without `lang` in its address is in the new language too.
    v.go("/requests")
    assert v.h1() == messages.text(second, "requests.title")
