"""My data: who has seen it (after a caseworker read a request through the API), with its filters; the download of
everything held; and asking for erasure."""
from __future__ import annotations

import datetime
import json
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import journeys as J
import messages

def agency_today() -> datetime.date:
    """Today in the agency's time zone (Catalog/branding.yaml `time_zone:`), in which the report counts days."""
    branding = (Path(__file__).resolve().parents[2] / "Catalog" / "branding.yaml").read_text(encoding="utf-8")
    match = re.search(r"^time_zone:\s*(\S+)", branding, flags=re.M)
    assert match, "Catalog/branding.yaml names no time_zone"
    return datetime.datetime.now(ZoneInfo(match.group(1).strip('"'))).date()


def reference(request_id: str) -> str:
    """The reference people read (Reference.text in ServicePages.swift): the id's last 12 characters in groups."""
    tail = request_id.split("_")[-1][-12:].upper()
    return "REQ-" + "-".join(tail[i:i + 4] for i in range(0, len(tail), 4))


def access_rows(v) -> list[dict[str, str]]:
    names = ["when", "who", "what", "record", "fields", "purpose"]
    return [dict(zip(names, (td.text for td in tr.find_elements("css selector", "td"))))
            for tr in v.all("main table tbody tr")]


def filter_access(v, **values: str) -> list[dict[str, str]]:
    """Sets the report's filters in its form (from, to, request) and shows the result."""
    v.fill({"from": values.get("from", ""), "to": values.get("to", ""), "request": values.get("request", "")})
    v.press("main form.filters button[type=submit]")
    assert v.path.startswith("/privacy/access?"), f"filtering ended on {v.path}"
    rows = access_rows(v)
    count = v.find("main p[role=status]").text
    expected = v.t("access.count.one") if len(rows) == 1 else messages.format(v.lang, "access.count.other", count=str(len(rows)))
    assert count.startswith(expected), f"the count says {count!r} for {len(rows)} rows"
    if not rows:
        assert v.t("access.none") in v.main_text(), "an empty report does not say nobody opened the data"
    return rows


def test_access_report_shows_who_read_and_filters(visit, staff):
    v = visit
    v.new_citizen()
    read = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])
    other = v.create_request("change-of-address", J.API_FIELDS["change-of-address"])
    answer = staff.call("GET", f"/v1/requests/{read}")
    assert answer.status == 200, f"the caseworker could not read the request: {answer.status} {answer.text}"
    refused = staff.call("GET", f"/v1/requests/{read}", purpose=None)
    assert refused.status in (403, 404), f"a read without a purpose answered {refused.status}"

    v.go("/privacy")
    v.follow("/privacy/access")
    assert v.path == "/privacy/access" and v.h1() == v.t("access.title"), f"on {v.path}: {v.h1()!r}"
    v.shot("access-report")
    rows = access_rows(v)
    who = messages.format(v.lang, "access.who_staff", role=v.t("roles.caseworker"), office="central")
    staff_reads = [r for r in rows if r["who"].startswith(who) and r["what"] == v.t("actions.request_read")
                   and r["record"] == reference(read)]
    assert staff_reads, f"the caseworker's read ({who!r}, {v.t('actions.request_read')!r}, {reference(read)}) is not listed: {rows}"
    allowed = [r for r in staff_reads if v.t("access.refused") not in r["who"]]
    assert allowed and allowed[0]["purpose"] == v.t("purposes.case_handling"), f"the read's purpose: {staff_reads}"
    for field_id in ("full_name", "monthly_income", "reason"):
        label = J.catalog_label("benefit-application", field_id, v.lang)
        assert label in allowed[0]["fields"], f"the read's fields {allowed[0]['fields']!r} do not name {label!r}"
    assert any(v.t("access.refused") in r["who"] and r["purpose"] == v.t("access.no_purpose") for r in staff_reads), \
        f"the refused read without a purpose is not listed as refused: {staff_reads}"
    assert not any(r["who"].startswith(v.t("roles.citizen")) for r in rows), f"the citizen's own actions are listed: {rows}"

    # By request: only that request's lines.
    mine = filter_access(v, request=read)
    assert mine and all(r["record"] == reference(read) for r in mine), f"filtered to {reference(read)}: {mine}"
    assert v.find("#request").get_attribute("value") == read, "the request filter is not kept in the form"
    theirs = filter_access(v, request=other)
    assert all(r["record"] == reference(other) for r in theirs), f"filtered to {reference(other)}: {theirs}"
    assert not any(r["who"].startswith(who) for r in theirs), f"the caseworker never opened {reference(other)}: {theirs}"

    # By time, in the agency's days: around today everything, two days ahead or behind nothing.
    day = agency_today()
    around = filter_access(v, **{"from": str(day - datetime.timedelta(days=1)), "to": str(day + datetime.timedelta(days=1))})
    assert len(around) == len(rows), f"yesterday to tomorrow shows {len(around)} of {len(rows)} lines"
    assert v.value("from") == str(day - datetime.timedelta(days=1)), "the from filter is not kept in the form"
    assert filter_access(v, **{"from": str(day + datetime.timedelta(days=2))}) == [], "a period in the future lists accesses"
    assert filter_access(v, to=str(day - datetime.timedelta(days=2))) == [], "a period before the request lists accesses"
    both = filter_access(v, request=read, **{"from": str(day), "to": str(day + datetime.timedelta(days=1))})
    assert len(both) == len(mine), f"today and the request together show {len(both)} lines, the request alone {len(mine)}"


def wait_for_download(folder: Path, before: set[str], timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [p for p in folder.iterdir() if p.name not in before and not p.name.endswith((".crdownload", ".tmp"))]
        if fresh:
            return fresh[0]
        time.sleep(0.2)
    raise AssertionError(f"no download appeared in {folder} within {timeout} s: {sorted(p.name for p in folder.iterdir())}")


def test_export_download_holds_profile_and_requests(visit, staff, downloads):
    v = visit
    login = v.new_citizen()
    family = f"Exportova-{login[8:14]}"
    answer = v.api().call("PATCH", "/v1/me/profile", {"fields": {
        "family_name": family, "given_names": "Edit", "phone": "+353851112233"}})
    assert answer.status == 200, f"saving the profile through the API answered {answer.status}: {answer.text}"
    request_id = v.create_request("benefit-application", J.API_FIELDS["benefit-application"])
    question = "Which month did the job end?"
    assert staff.call("POST", f"/v1/cases/{request_id}/claim").status == 200
    assert staff.call("POST", f"/v1/cases/{request_id}/request-info", {"message": question}).status == 200

    v.go("/privacy")
    link = v.find("main a[href='/privacy/export']")
    assert link.text == v.t("privacy.export_link") and link.get_attribute("download") is not None, "no download link"
    before = {p.name for p in downloads.iterdir()}
    link.click()  # a download: the page stays
    path = wait_for_download(downloads, before)
    assert path.name.startswith("my-data-") and path.suffix == ".json", f"the download is called {path.name}"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    assert v.path == "/privacy", f"downloading left the page for {v.path}"

    assert data["format"] == "strongroom-export-v1", data.get("format")
    assert data["profile"].get("family_name") == family and data["profile"].get("given_names") == "Edit", data["profile"]
    assert data["profile"].get("phone") == "+353851112233", data["profile"]
    exported = {r["request"]["id"]: r for r in data["requests"]}
    assert request_id in exported, f"the request is not in the export: {list(exported)}"
    fields = exported[request_id]["fields"]
    for name in ("full_name", "national_id", "bank_account", "reason"):
        assert fields.get(name) == J.API_FIELDS["benefit-application"][name], f"{name} in the export: {fields.get(name)!r}"
    assert exported[request_id]["request"]["status"] == "info-requested"
    assert any(m["body"] == question and m["request"] == request_id for m in data["messages"]), data["messages"]
    assert any(a["action"] == "case.request-info" and a["record"] == request_id and a["role"] == "caseworker"
               for a in data["accesses"]), "the export's access record does not list the caseworker"


def test_erasure_explained_and_scheduled(visit):
    v = visit
    v.new_citizen()  # a throwaway citizen: erasure cannot be undone from the portal
    v.go("/privacy")
    v.follow("/privacy/erasure")
    assert v.path == "/privacy/erasure" and v.h1() == v.t("erasure.title"), f"on {v.path}: {v.h1()!r}"
    assert v.t("erasure.body") in v.main_text(), "the erasure page does not explain what erasure means"
    v.shot("erasure")

    v.press("main form[action='/privacy/erasure'] button[type=submit]")
    assert v.driver.title.startswith(v.t("common.error_prefix") + " "), f"no error title: {v.driver.title!r}"
    assert (("confirm", v.t("erasure.confirm_missing")) in v.error_summary_links()), v.error_summary_links()
    assert v.find("#confirm-error").is_displayed(), "no error beside the checkbox"
    if v.js:
        assert v.driver.execute_script("return document.activeElement.id") == "error-summary", "focus is not on the error summary"
    export = v.api().call("GET", "/v1/me/export").json()
    assert export.get("erasure_effective_at") is None, "erasure was scheduled without the confirmation"

    v.fill({"confirm": True})
    v.press("main form[action='/privacy/erasure'] button[type=submit]")
    v.shot("erasure-scheduled")
    assert v.h1() == v.t("erasure.scheduled_title"), f"after asking for erasure: {v.h1()!r}\n{v.main_text()}"
    assert re.search(messages.pattern(v.lang, "erasure.scheduled_body"), v.main_text()), v.main_text()
    export = v.api().call("GET", "/v1/me/export").json()
    effective = export.get("erasure_effective_at")
    assert effective, "the export does not show the erasure scheduled"
    when = datetime.datetime.fromisoformat(effective.replace("Z", "+00:00"))
    assert when > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1), f"erasure takes effect at {effective}"


def test_access_report_names_every_purpose_in_the_readers_language(visit):
    """Accesses by the system (automatic rules, fees) are listed with a purpose a person can read, like the staff's."""
    v = visit
    v.new_citizen()
    v.create_request("change-of-address", J.API_FIELDS["change-of-address"])  # decided by the automatic rules
    v.create_request("fee-payment", J.API_FIELDS["fee-payment"])  # a fee falls due
    v.go("/privacy/access")
    rows = access_rows(v)
    assert len(rows) >= 2, f"the system's accesses are not listed: {rows}"
    raw = [(r["what"], r["purpose"]) for r in rows
           if re.fullmatch(r"[a-z]+([-.][a-z]+)+", r["purpose"]) or re.fullmatch(r"[a-z]+([-.][a-z]+)+", r["what"])]
    assert not raw, f"the access report shows internal codes instead of words ({v.lang}): {raw}"
