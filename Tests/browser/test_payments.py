"""Paying a fee with the offline test provider: a declined card, then one that pays, a receipt, and the request
showing the fee paid. The fee-payment service charges the amount entered, on submission."""
from __future__ import annotations

import re

import journeys as J

PAY_BUTTON = "main form[action$='/pay'] button[type=submit]"


def fee_status(v, payment_id: str) -> str:
    answer = v.api().call("GET", f"/v1/payments/{payment_id}")
    assert answer.status == 200, f"reading the payment through the API answered {answer.status}: {answer.text}"
    return answer.json()["status"]


def summary_value(v, label: str) -> str:
    for row in v.all("main .summary-row"):
        if row.find_element("css selector", "dt").text == label:
            return row.find_element("css selector", "dd").text
    raise AssertionError(f"no row {label!r} on {v.path}:\n{v.main_text()}")


def test_declined_then_paid_with_receipt(visit):
    v = visit
    v.new_citizen()
    journey = J.by_service("fee-payment")
    request_id = J.run_to_check(v, journey, with_mistake=False)
    assert v.t("check.fee_title") in v.main_text(), "check answers does not show the fee"
    J.submit_from_check(v, request_id)

    # The confirmation offers to pay now.
    pay_links = v.all("main a[href^='/payments/']")
    assert pay_links and pay_links[0].text == v.t("confirmation.pay"), f"no 'pay now' link on the confirmation:\n{v.main_text()}"
    payment_id = pay_links[0].get_attribute("href").rsplit("/", 1)[-1]
    v.submit(pay_links[0])
    assert v.path == f"/payments/{payment_id}", f"the pay link went to {v.path}"
    v.shot("payment")
    assert v.h1() == v.t("payment.title")
    assert "25" in summary_value(v, v.t("payment.amount")), f"the amount shown is {summary_value(v, v.t('payment.amount'))!r}"
    assert summary_value(v, v.t("common.status")) == v.t("payment.status_pending")
    assert v.t("payment.test_mode") in v.main_text(), "the test provider is not marked as test mode"

    # Paying without choosing is refused with the error summary.
    v.press(PAY_BUTTON)
    assert v.all("#error-summary"), f"paying without a choice was accepted: {v.main_text()[:400]}"
    assert any(href == "instrument-0" and text == v.t("payment.choose") for href, text in v.error_summary_links()), v.error_summary_links()
    if v.js:
        assert v.driver.execute_script("return document.activeElement.id") == "error-summary", "focus is not on the error summary"

    # A declined card: the page says so, nothing is paid, and the fee can be paid again.
    v.fill({"instrument-1": True})
    v.press(PAY_BUTTON)
    assert v.path == f"/payments/{payment_id}?declined=1", f"a declined card ended on {v.path}"
    v.shot("payment-declined")
    assert v.t("payment.declined_notice") in v.main_text(), f"the page does not say the card was declined:\n{v.main_text()}"
    assert summary_value(v, v.t("common.status")) == v.t("payment.status_failed")
    assert not v.all("main #receipt-title"), "a declined payment shows a receipt"
    assert v.all(PAY_BUTTON), "after a declined card the fee cannot be paid again"
    assert fee_status(v, payment_id) == "failed", "the API does not show the declined payment as failed"
    v.go(f"/requests/{request_id}")
    fee = v.find("main section[aria-labelledby=payment-title]")
    assert v.t("payment.status_failed") in fee.text, f"the request page does not show the failed payment: {fee.text}"
    assert fee.find_element("css selector", f"a.button[href='/payments/{payment_id}']").text == v.t("payment.pay"), \
        "the request page does not offer to pay the fee still owed"

    # The card that pays: a receipt, and the form is gone.
    v.go(f"/payments/{payment_id}")
    v.fill({"instrument-0": True})
    v.press(PAY_BUTTON)
    assert v.path == f"/payments/{payment_id}?paid=1", f"paying ended on {v.path}"
    v.shot("receipt")
    assert v.t("payment.paid_notice") in v.find("main .notice").text, "no 'payment accepted' notice"
    assert summary_value(v, v.t("common.status")) == v.t("payment.status_paid")
    receipt = v.find("main section[aria-labelledby=receipt-title]")
    assert v.t("payment.receipt_title") in receipt.text
    number = summary_value(v, v.t("payment.receipt_number"))
    assert re.search(r"[0-9A-Z]{4,}", number), f"odd receipt number {number!r}"
    assert summary_value(v, v.t("payment.paid_at")), "the receipt has no payment time"
    assert not v.all(PAY_BUTTON), "a paid fee can be paid again"
    assert fee_status(v, payment_id) == "paid", "the API does not show the payment as paid"

    # The request page shows the fee paid, with a link to the receipt instead of a pay button.
    v.go(f"/requests/{request_id}")
    fee = v.find("main section[aria-labelledby=payment-title]")
    assert v.t("payment.status_paid") in fee.text, f"the request page does not show the fee paid: {fee.text}"
    link = fee.find_element("css selector", f"a[href='/payments/{payment_id}']")
    assert link.text == v.t("payment.receipt_title") and "button" not in (link.get_attribute("class") or ""), \
        f"the paid fee's link is {link.text!r} ({link.get_attribute('class')!r})"


def test_declined_card_is_shown_as_an_error(visit):
    """A declined card is a failure the person must act on: the page shows it as an error (the title starts with
    "Error:" and an error summary, like every other refusal in the portal), not in the green confirmation notice used
    for "the payment was accepted"."""
    v = visit
    v.new_citizen()
    request_id = v.create_request("fee-payment", J.API_FIELDS["fee-payment"])
    payment = v.api().call("GET", f"/v1/requests/{request_id}").json()["payment"]
    assert payment and payment["status"] == "pending", f"the fee is not due after submission: {payment}"
    v.go(f"/payments/{payment['id']}")
    v.fill({"instrument-1": True})
    v.press(PAY_BUTTON)
    assert v.t("payment.declined_notice") in v.main_text()
    assert fee_status(v, payment["id"]) == "failed"
    declined = v.t("payment.declined_notice")
    title = v.driver.title
    summary = v.all("#error-summary")
    shown_in = [e.get_attribute("class") for e in v.all("main .notice") if declined in e.text]
    assert title.startswith(v.t("common.error_prefix") + " ") and summary and declined in summary[0].text, (
        f"the declined card is not shown as an error: the title is {title!r}, "
        f"{'an' if summary else 'no'} error summary, and the message is in {shown_in or 'no'} element "
        f"(the notice that also says 'the payment was accepted')")
