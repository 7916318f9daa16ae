"""One person's visit to the portal in a real browser: navigation that waits, form filling, axe-core on every
page, screenshots, and the checks every page must pass."""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

import http_client
import messages

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "browser-screenshots"
AXE_SOURCE = (REPO / ".venv/lib/python3.11/site-packages/axe_playwright_python/axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple 42"
WAIT = 15


def _axe_source() -> str:
    assert AXE_SOURCE.is_file(), f"axe-core is missing at {AXE_SOURCE}: pip-install Tests/browser/requirements.txt"
    return AXE_SOURCE.read_text(encoding="utf-8")


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core: {len(violations)} violation(s) on {url}"]
    for v in violations:
        lines.append(f"  [{v.get('impact')}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:6]:
            lines.append(f"      at {' '.join(map(str, node.get('target', [])))}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"         {summary[:300]}")
    return "\n".join(lines)


_shots_taken: set[tuple[str, str]] = set()


@dataclass
class Visit:
    driver: WebDriver
    base: str
    js: bool
    lang: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    # The pages among `visited` that the browser loaded with GET (not the answer of a POST shown without a redirect,
    # such as a form sent back with its errors): these may be fetched again (see conftest.replay_visited).
    gets: list[str] = field(default_factory=list)
    login: str | None = None

    # ---- texts -------------------------------------------------------------------------------------------------
    def t(self, key: str) -> str:
        return messages.text(self.lang, key)

    # ---- navigation --------------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    @property
    def path(self) -> str:
        current = self.driver.current_url
        return current[len(self.base):] if current.startswith(self.base) else current

    def go(self, path: str) -> None:
        self.driver.get(self.url(path))
        self.arrived()

    def arrived(self) -> None:
        """Every page: wait until it is loaded, check its markup, run axe (JavaScript runs only)."""
        WebDriverWait(self.driver, WAIT, ignored_exceptions=[WebDriverException]).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        title = self.driver.title
        html = self.driver.page_source
        where = f"{self.path} ({self.lang}, {'js' if self.js else 'no js'})"
        self.visited.append(self.path)
        self.gets.append(self.path)
        assert self.t("errors.internal_title") not in title, f"{where}: the server failed: {self.main_text()}"
        self.problems += http_client.inline_code_problems(html, where)
        lang = self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
        if lang != self.lang:
            self.problems.append(f"{where}: <html lang={lang!r}>, expected {self.lang!r}")
        if self.js:
            self.axe(where)

    def axe(self, where: str) -> None:
        d = self.driver
        if not d.execute_script("return typeof window.axe === 'object'"):
            d.execute_script(_axe_source())
        result = d.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
            ".then(function (r) { done(r.violations); }, function (e) { done({error: String(e)}); });",
            AXE_TAGS,
        )
        if isinstance(result, dict) and "error" in result:
            self.problems.append(f"axe-core could not run on {where}: {result['error']}")
        elif result:
            self.problems.append(format_violations(where, result))

    def submit(self, element: WebElement) -> None:
        """Clicks a button or link that loads a new page, and waits for it."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action = self._post_action(element)
        element.click()
        self.wait_for_new_page(old)
        self._note_post_answer(action)

    _POST_ACTION = ("var e = arguments[0]; var f = e && e.form;"
                    "return f && (f.getAttribute('method') || '').toLowerCase() === 'post' ? f.action : null;")

    def _post_action(self, element: WebElement | None) -> str | None:
        """The address a control would POST its form to (None for a link or a GET form)."""
        if element is None:
            return self.driver.execute_script(self._POST_ACTION.replace("arguments[0]", "document.activeElement"))
        return self.driver.execute_script(self._POST_ACTION, element)

    def _note_post_answer(self, action: str | None) -> None:
        # A POST answered with a page of its own (no redirect) leaves the browser on the form's address.
        if action and self.driver.current_url.split("#", 1)[0] == action and self.gets:
            self.gets.pop()

    def wait_for_new_page(self, old: WebElement) -> None:
        # While the page is being replaced ChromeDriver may answer with a transient inspector error: retry.
        WebDriverWait(self.driver, WAIT, ignored_exceptions=[WebDriverException]).until(EC.staleness_of(old))
        self.arrived()

    def press(self, css: str) -> None:
        self.submit(self.driver.find_element(By.CSS_SELECTOR, css))

    def follow(self, href_part: str) -> None:
        """Follows the first link in <main> whose href contains `href_part`."""
        self.submit(self.driver.find_element(By.CSS_SELECTOR, f"main a[href*='{href_part}']"))

    def continue_(self) -> None:
        self.press("main button[name=action][value=continue]")

    # ---- reading -----------------------------------------------------------------------------------------------
    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def main_text(self) -> str:
        try:
            return self.find("main").text
        except Exception:  # noqa: BLE001 - only for messages
            return self.driver.page_source[:2000]

    def h1(self) -> str:
        return self.find("h1").text

    def value(self, element_id: str) -> str:
        return self.driver.find_element(By.ID, element_id).get_attribute("value")

    def error_summary_links(self) -> list[tuple[str, str]]:
        return [(a.get_attribute("href").split("#", 1)[-1], a.text) for a in self.all("#error-summary a")]

    # ---- filling -----------------------------------------------------------------------------------------------
    def fill(self, answers: dict[str, str]) -> None:
        """Fills controls by id: text boxes are cleared and typed into, selects chosen by value, and for radios and
        checkboxes the value is ignored and the control is clicked (give `True`)."""
        for element_id, value in answers.items():
            element = self.driver.find_element(By.ID, element_id)
            kind = (element.get_attribute("type") or "").lower()
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            elif kind in ("radio", "checkbox"):
                if not element.is_selected():
                    element.click()
            else:
                element.clear()
                if value:
                    element.send_keys(value)

    # ---- account -----------------------------------------------------------------------------------------------
    def choose_language(self) -> None:
        self.go(f"/?lang={self.lang}")

    def sign_up(self, login: str | None = None) -> str:
        login = login or f"citizen-{secrets.token_hex(6)}@example.org"
        self.go("/sign-up")
        self.fill({"login": login, "password": PASSWORD, "password-confirm": PASSWORD})
        self.press("main form button[type=submit]")
        assert self.path.startswith("/signed-up"), f"sign-up ended on {self.path}: {self.main_text()}"
        return login

    def sign_in(self, login: str, password: str = PASSWORD) -> None:
        self.go("/sign-in")
        self.fill({"login": login, "password": password})
        self.press("main form button[type=submit]")
        assert not self.path.startswith("/sign-in"), f"sign-in failed: {self.main_text()}"
        self.login = login

    def new_citizen(self) -> str:
        """A fresh account (signed up through the JSON API, which is quick; the sign-up page has its own test),
        signed in through the sign-in page."""
        login = f"citizen-{secrets.token_hex(6)}@example.org"
        answer = http_client.request(self.base + "/v1/accounts", "POST", json.dumps(
            {"login": login, "password": PASSWORD}).encode(), {"Content-Type": "application/json"})
        assert answer.status == 202, f"sign-up through the API answered {answer.status}: {answer.text}"
        self.sign_in(login)
        return login

    def sign_out(self) -> None:
        self.press("form[action='/sign-out'] button")

    def session_token(self) -> str:
        cookie = self.driver.get_cookie("__Host-sr-session")
        assert cookie, "no session cookie in the browser"
        return cookie["value"]

    def client(self) -> http_client.PortalClient:
        """A urllib client carrying this browser's cookies."""
        return http_client.PortalClient(self.base, {c["name"]: c["value"] for c in self.driver.get_cookies()})

    def portal_cookies(self) -> dict[str, str]:
        """The browser's cookies for the portal, whichever page it shows now (another site's, too)."""
        cookies = self.driver.execute_cdp_cmd("Network.getCookies", {"urls": [self.base + "/"]})["cookies"]
        return {c["name"]: c["value"] for c in cookies}

    def api(self) -> http_client.CitizenAPI:
        """The JSON API as the signed-in citizen (the session cookie's token as the bearer token)."""
        return http_client.CitizenAPI(self.base, self.session_token())

    def create_request(self, service: str, fields: dict, submit: bool = True) -> str:
        """A request made through the JSON API as the signed-in citizen (set-up where the form is not what is
        tested); returns its id."""
        answer = self.api().call("POST", "/v1/requests", {"service": service, "fields": fields, "submit": submit})
        assert answer.status == 201, f"creating a {service} request through the API answered {answer.status}: {answer.text}"
        return answer.json()["id"]

    # ---- language ----------------------------------------------------------------------------------------------
    def switch_language(self, code: str) -> None:
        """Follows the header's language switch link to `code`; the visit's texts and checks follow it."""
        links = self.all(f"header .language-switch a[hreflang='{code}']")
        assert links, f"no language switch link to {code!r} on {self.path}"
        link = links[0]
        assert link.get_attribute("lang") == code, f"the link to {code!r} has lang={link.get_attribute('lang')!r}"
        here = self.path.split("?", 1)[0].split("#", 1)[0]
        href = link.get_attribute("href")
        assert href.startswith(self.url(here) + "?") and f"lang={code}" in href, f"the switch to {code!r} goes to {href}"
        self.lang = code
        self.submit(link)

    # ---- keyboard ----------------------------------------------------------------------------------------------
    def keys(self, *keys: str) -> None:
        """Sends keys to whatever has the focus, as a person at the keyboard would."""
        ActionChains(self.driver).send_keys(*keys).perform()

    def keys_to_new_page(self, *keys: str) -> None:
        """Sends keys that load a new page (Enter on a link or a form), and waits for it."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action = self._post_action(None)
        self.keys(*keys)
        self.wait_for_new_page(old)
        self._note_post_answer(action)

    def active(self) -> WebElement:
        return self.driver.switch_to.active_element

    # ---- services ----------------------------------------------------------------------------------------------
    def start_service(self, service: str) -> str:
        """Opens the service page, starts a request and returns its id (the browser is on step 1)."""
        self.go(f"/services/{service}")
        self.shot("service")
        self.press(f"main form[action='/services/{service}/start'] button")
        match = re.match(r"/requests/([^/]+)/step/1$", self.path)
        assert match, f"starting {service} did not lead to step 1 but to {self.path}"
        return match.group(1)

    # ---- screenshots -------------------------------------------------------------------------------------------
    def shot(self, name: str) -> None:
        """A full-page screenshot, `browser-screenshots/LANG-NAME.png` (JavaScript runs only: they look the same)."""
        if not self.js or (self.lang, name) in _shots_taken:
            return
        _shots_taken.add((self.lang, name))
        SCREENSHOTS.mkdir(exist_ok=True)
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1},
        })
        import base64
        (SCREENSHOTS / f"{self.lang}-{name}.png").write_bytes(base64.b64decode(shot["data"]))

    # ---- waiting -----------------------------------------------------------------------------------------------
    def wait_until(self, condition, message: str, timeout: float = WAIT):
        try:
            return WebDriverWait(self.driver, timeout).until(lambda d: condition())
        except TimeoutException:
            raise AssertionError(message) from None
