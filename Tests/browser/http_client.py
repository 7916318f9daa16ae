"""Plain HTTP to the portal and the JSON API with urllib: no redirects followed, every answer kept whole."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib hook
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _opener.open(req, timeout=30) as response:
            return Answer(response.status, list(response.headers.items()), response.read(), url)
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
        return Answer(error.code, list(error.headers.items()), error.read(), url)


@dataclass
class PortalClient:
    """A cookie-carrying client for portal pages (the cookies can come from the browser)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, answer: Answer) -> Answer:
        for line in answer.all("Set-Cookie"):
            pair = line.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value:
                self.cookies[name.strip()] = value.strip()
            else:
                self.cookies.pop(name.strip(), None)
        return answer

    def get(self, path: str, headers: dict[str, str | None] | None = None) -> Answer:
        all_headers = {name: value for name, value in {**self._cookie_header(), **(headers or {})}.items() if value is not None}
        return self._keep(request(self.base + path, headers=all_headers))

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str | None] | None = None) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        # A header given as None is left out (a browser that sends no `Sec-Fetch-Site`, or no `Origin`).
        all_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.base,
            "Sec-Fetch-Site": "same-origin",
            **self._cookie_header(),
            **(headers or {}),
        }
        all_headers = {name: value for name, value in all_headers.items() if value is not None}
        return self._keep(request(self.base + path, "POST", body, all_headers))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "no hidden csrf field in the page"
    return match.group(1)


def page_header_problems(answer: Answer) -> list[str]:
    """What is wrong with the security headers of one portal page answer (empty when all is right)."""
    problems = []
    expect = {
        "Content-Security-Policy": EXPECTED_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    for name, value in expect.items():
        got = answer.header(name)
        if got != value:
            problems.append(f"{answer.url}: {name} is {got!r}, expected {value!r}")
    if not answer.header("Referrer-Policy"):
        problems.append(f"{answer.url}: no Referrer-Policy")
    elif answer.header("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin"):
        problems.append(f"{answer.url}: Referrer-Policy {answer.header('Referrer-Policy')!r} leaks the path cross-site")
    return problems


def cookie_problems(set_cookie: str) -> list[str]:
    """What is wrong with one Set-Cookie line: `__Host-` prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain."""
    name = set_cookie.split("=", 1)[0].strip()
    attributes = [part.strip().lower() for part in set_cookie.split(";")[1:]]
    problems = []
    if not name.startswith("__Host-"):
        problems.append(f"cookie {name} lacks the __Host- prefix")
    for wanted in ("secure", "httponly", "samesite=lax", "path=/"):
        if wanted not in attributes:
            problems.append(f"cookie {name} lacks {wanted}: {set_cookie}")
    if any(a.startswith("domain=") for a in attributes):
        problems.append(f"cookie {name} has a Domain attribute: {set_cookie}")
    return problems


def inline_code_problems(html: str, where: str) -> list[str]:
    """Inline scripts (a <script> without src) and style attributes, which the CSP would block."""
    problems = []
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        if not re.search(r"\bsrc\s*=", tag, flags=re.I):
            problems.append(f"{where}: inline script {tag}")
    for match in re.finditer(r"<[a-z][^>]*\sstyle\s*=", html, flags=re.I):
        problems.append(f"{where}: style attribute in {match.group(0)[:80]}")
    if re.search(r"\son[a-z]+\s*=", re.sub(r'"[^"]*"', '""', html), flags=re.I):
        problems.append(f"{where}: inline event handler attribute")
    return problems


class StaffAPI:
    """The JSON API as a caseworker (demo account with a one-time code)."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.token = token

    def call(self, method: str, path: str, payload: dict | None = None, purpose: str | None = "case-handling") -> Answer:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if purpose:
            headers["Strongroom-Purpose"] = purpose
        body = json.dumps(payload).encode() if payload is not None else None
        return request(self.base + path, method, body, headers)


class CitizenAPI(StaffAPI):
    """The JSON API as a citizen: the portal's session cookie holds the same bearer token (no purpose is declared)."""

    def call(self, method: str, path: str, payload: dict | None = None, purpose: str | None = None) -> Answer:
        return super().call(method, path, payload, purpose)


def replay_problems(client: PortalClient, paths: list[str]) -> tuple[list[str], int]:
    """GETs every portal path again through `client` and returns what is wrong with the answers' security headers
    (every page, including redirects and downloads; static assets are cacheable and checked apart) and with every
    cookie they set, and how many HTML pages were checked."""
    problems: list[str] = []
    pages = 0
    seen: set[str] = set()
    for path in paths:
        path = path.split("#", 1)[0]
        if not path.startswith("/") or path in seen or path.startswith("/assets/"):
            continue
        seen.add(path)
        answer = client.get(path)
        if (answer.header("Content-Type") or "").startswith("text/html"):
            pages += 1
        problems += [f"replay of {path}: {p}" for p in page_header_problems(answer)]
        for line in answer.all("Set-Cookie"):
            problems += [f"replay of {path}: {p}" for p in cookie_problems(line)]
    return problems, pages
