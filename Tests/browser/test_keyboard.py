"""One whole journey with the keyboard alone (JavaScript on): Tab, Shift+Tab, Enter, Space and typing, never a click.
Every element that takes the focus must be visible, in the viewport and show that it has the focus; after a
validation error the focus is on the error summary, and its link takes the focus to the field."""
from __future__ import annotations

import datetime

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from portal import PASSWORD

MAX_TABS = 80

# What the focused element looks like: visible, in the viewport, with a focus indicator (outline or box-shadow,
# or the focus colour behind a link), and a short description for messages.
FOCUS_STATE = """
var e = document.activeElement;
if (!e || e === document.body) { return {body: true}; }
var r = e.getBoundingClientRect(), s = getComputedStyle(e);
var hidden = s.visibility === 'hidden' || s.display === 'none' || r.width < 1 || r.height < 1;
var inView = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
var ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
var label = e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']' : '')
    + (e.textContent ? ' "' + e.textContent.trim().slice(0, 40) + '"' : '');
return {body: false, hidden: hidden, inView: inView, ring: ring, focusVisible: e.matches(':focus-visible'), label: label};
"""


class Keyboard:
    def __init__(self, v):
        self.v = v
        self.seen: list[str] = []

    def state(self) -> dict:
        return self.v.driver.execute_script(FOCUS_STATE)

    def check_focus(self) -> None:
        s = self.state()
        if s["body"]:
            return
        where = f"{s['label']} on {self.v.path}"
        assert not s["hidden"], f"the focus is on an invisible element: {where}"
        assert s["inView"], f"the focused element is outside the viewport: {where}"
        assert s["ring"], f"the focused element shows no focus indicator: {where}"

    def tab_to(self, css: str, backwards: bool = False) -> None:
        """Presses Tab (or Shift+Tab) until the focus is on an element matching `css`, checking every stop."""
        stops = []
        for _ in range(MAX_TABS):
            if backwards:
                ActionChains(self.v.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
            else:
                self.v.keys(Keys.TAB)
            self.check_focus()
            stops.append(self.state().get("label", "body"))
            if self.v.driver.execute_script("return document.activeElement.matches(arguments[0])", css):
                self.seen += stops
                return
        raise AssertionError(f"{MAX_TABS} Tab presses on {self.v.path} never reached {css}; the stops were {stops}")

    def type(self, text: str, replace: bool = False) -> None:
        if replace:  # select what is there and type over it
            ActionChains(self.v.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
        self.v.keys(text)

    def focused_id(self) -> str:
        return self.v.driver.execute_script("return document.activeElement && document.activeElement.id")


def test_whole_journey_by_keyboard(js_visit):
    v = js_visit
    k = Keyboard(v)
    login = v.new_citizen()
    v.sign_out()  # signed up through the API; the sign-in below is by keyboard

    # The first Tab stop of a page is the skip link, shown when it has the focus.
    v.go("/")
    k.tab_to("*")
    assert v.driver.execute_script("return document.activeElement.classList.contains('skip-link')"), \
        f"the first Tab stop is {k.state()['label']}, not the skip link"
    k.tab_to("header a[href='/sign-in']")
    v.keys_to_new_page(Keys.ENTER)
    assert v.path.startswith("/sign-in"), f"Enter on the sign-in link went to {v.path}"

    k.tab_to("#login")
    k.type(login)
    k.tab_to("#password")
    k.type(PASSWORD)
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == "/requests", f"signing in by keyboard ended on {v.path}: {v.main_text()[:300]}"

    # Services, the change of address, Start now.
    k.tab_to("main a[href='/']")
    v.keys_to_new_page(Keys.ENTER)
    k.tab_to("main a[href='/services/change-of-address']")
    v.keys_to_new_page(Keys.ENTER)
    k.tab_to("main form[action='/services/change-of-address/start'] button")
    v.keys_to_new_page(Keys.SPACE)  # a button takes Space as well as Enter
    assert v.path.endswith("/step/1"), f"Start now went to {v.path}"
    request_id = v.path.split("/")[2]

    # Step 1, with a wrong postcode first: the error summary takes the focus, its link takes it to the field.
    k.tab_to("#f-new_address-line1")
    k.type("7 Keyboard Lane")
    k.tab_to("#f-new_address-city")
    k.type("Cork")
    k.tab_to("#f-new_address-postcode")
    k.type("40123")
    k.tab_to("#f-new_address-country")
    assert v.value("f-new_address-country") == "IE", "Ireland is not chosen already"
    k.tab_to("#f-postcode")
    k.type("4012x")
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}/step/1", f"a wrong postcode went on to {v.path}"
    assert k.focused_id() == "error-summary", f"after the error the focus is on {k.state()['label']}, not the error summary"
    k.check_focus()
    k.tab_to("#error-summary a[href='#f-postcode']")
    v.keys(Keys.ENTER)
    v.wait_until(lambda: k.focused_id() == "f-postcode", f"the summary link left the focus on {k.state()['label']}")
    k.check_focus()
    assert v.value("f-new_address-line1") == "7 Keyboard Lane", "the answers typed were not kept with the error"
    k.type("40123", replace=True)
    assert v.value("f-postcode") == "40123", f"typing over the postcode left {v.value('f-postcode')!r}"
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}/step/2", f"after correcting the postcode on {v.path}"

    # Step 2: the date, in three boxes.
    day = datetime.date.today()
    k.tab_to("#f-move_date-day")
    k.type(str(day.day))
    k.tab_to("#f-move_date-month")
    k.type(str(day.month))
    k.tab_to("#f-move_date-year")
    k.type(str(day.year))
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}/step/3", f"after the date on {v.path}"

    # Step 3: the optional email.
    k.tab_to("#f-contact_email")
    k.type("keys@example.org")
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}/check", f"after the last step on {v.path}"

    # Check answers: sending without the declaration, then ticking it with Space.
    assert "7 Keyboard Lane" in v.main_text()
    k.tab_to("main form[action$='/submit'] button[type=submit]")
    v.keys_to_new_page(Keys.ENTER)
    assert k.focused_id() == "error-summary", f"after the declaration error the focus is on {k.state()['label']}"
    k.tab_to("#error-summary a[href='#declaration']")
    v.keys(Keys.ENTER)
    v.wait_until(lambda: k.focused_id() == "declaration", f"the summary link left the focus on {k.state()['label']}")
    k.check_focus()
    v.keys(Keys.SPACE)
    assert v.find("#declaration").is_selected(), "Space did not tick the declaration"
    k.tab_to("main form[action$='/submit'] button[type=submit]")
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}/submitted", f"sending by keyboard ended on {v.path}: {v.main_text()[:300]}"
    assert v.t("confirmation.approved") in v.main_text()

    # From the confirmation back to the request, then Shift+Tab back up to the main navigation.
    k.tab_to(f"main a[href='/requests/{request_id}']")
    v.keys_to_new_page(Keys.ENTER)
    assert v.path == f"/requests/{request_id}"
    k.tab_to("#message")
    k.type("Thank you.")
    k.tab_to("nav a[href='/requests']", backwards=True)
    assert len(k.seen) > 30, f"only {len(k.seen)} focus stops were checked"
