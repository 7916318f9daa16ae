"""Sign up, sign in, sign out, and a wrong password."""
from __future__ import annotations

from portal import PASSWORD


def test_sign_up_sign_in_sign_out(visit):
    v = visit
    v.go("/sign-in")
    v.shot("sign-in")
    login = v.sign_up()
    v.shot("signed-up")
    neutral = v.main_text()
    # Signing up again with the same address answers exactly the same page: it does not reveal the account.
    v.sign_up(login)
    assert v.main_text() == neutral, "a second sign-up with the same address answers differently"
    v.sign_in(login)
    assert v.all("form[action='/sign-out']"), "signed in, but there is no sign-out button"
    v.go("/profile")
    assert v.path == "/profile", f"/profile while signed in went to {v.path}"
    v.sign_out()
    assert not v.all("form[action='/sign-out']"), "still signed in after signing out"
    v.go("/profile")
    assert v.path.startswith("/sign-in"), f"/profile after signing out shows {v.path}, not the sign-in page"


def test_wrong_password_shows_the_error_summary(visit):
    v = visit
    login = v.sign_up()
    v.go("/sign-in")
    v.fill({"login": login, "password": PASSWORD + " wrong"})
    v.press("main form button[type=submit]")
    v.shot("sign-in-error")
    assert v.path.startswith("/sign-in"), f"a wrong password signed in: {v.path}"
    prefix = v.t("common.error_prefix")
    assert v.driver.title.startswith(prefix + " "), f"the title {v.driver.title!r} does not start with {prefix!r}"
    assert v.all("#error-summary"), "no error summary"
    links = v.error_summary_links()
    assert links and all(v.all(f"#{href}") for href, _ in links), f"error summary links {links} lead nowhere"
    assert v.value("login") == login, "the login typed is not kept"
    assert v.value("password") == "", "the password was sent back into the page"
    if v.js:
        active = v.driver.execute_script("return document.activeElement.id")
        assert active == "error-summary", f"focus is on {active!r}, not on the error summary"
    assert not v.driver.get_cookie("__Host-sr-session"), "a wrong password set a session cookie"
