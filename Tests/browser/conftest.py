"""The shared fixture: one running server (started by scripts/browser-test.sh), one Chromium per JavaScript mode.

The script passes the server in the environment: STRONGROOM_URL (http://127.0.0.1:PORT), STRONGROOM_BIN (the
binary, for `demo code`), STRONGROOM_TMP (holding Keys/ and data/) and STRONGROOM_LOG (its stdout and stderr).
Anything missing is a failure, never a skip.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_client  # noqa: E402
from portal import Visit  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Every journey runs with JavaScript in English and in Hungarian (axe-core runs on every page of these), and
# without JavaScript (axe-core needs JavaScript; the same page types are covered by the two runs with it).
MODES = [("js", "en"), ("js", "hu"), ("nojs", "en")]
MODE_IDS = [f"{m}-{lang}" for m, lang in MODES]


def two_modes(index: int) -> list[tuple[str, str]]:
    """For long tables of journeys (the services): JavaScript in one language and no JavaScript in the other,
    alternating, so across the table every page type is checked by axe-core in both languages."""
    lang, other = ("en", "hu") if index % 2 == 0 else ("hu", "en")
    return [("js", lang), ("nojs", other)]


@dataclass(frozen=True)
class Server:
    url: str
    binary: str
    tmp: Path
    log: Path

    @property
    def keys(self) -> Path:
        return self.tmp / "Keys"

    @property
    def data(self) -> Path:
        return self.tmp / "data"

    def demo_code(self, login: str) -> str:
        out = subprocess.run(
            [self.binary, "demo", "code", login, "--keys", str(self.keys), "--data", str(self.data)],
            check=True, capture_output=True, text=True, timeout=60,
        )
        return out.stdout.strip().split()[-1]


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with scripts/browser-test.sh", pytrace=False)
    return value


@pytest.fixture(scope="session")
def server() -> Server:
    s = Server(_required("STRONGROOM_URL").rstrip("/"), _required("STRONGROOM_BIN"),
               Path(_required("STRONGROOM_TMP")), Path(_required("STRONGROOM_LOG")))
    answer = http_client.request(s.url + "/healthz")
    assert answer.status == 200, f"the server at {s.url} is not healthy: {answer.status}"
    return s


@pytest.fixture(scope="session")
def downloads() -> Path:
    return Path(tempfile.mkdtemp(prefix="strongroom-downloads-"))


def make_driver(js: bool, downloads: Path) -> webdriver.Chrome:
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.access(path, os.X_OK), f"{path} is missing: run scripts/install-system-deps.sh"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--disable-gpu", "--no-first-run", "--disable-extensions", "--lang=en-US"):
        options.add_argument(arg)
    prefs = {
        "intl.accept_languages": "en-US,en",
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "credentials_enable_service": False,
        "profile.password_manager_enabled": False,
    }
    if not js:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def drivers(downloads):
    made: dict[bool, webdriver.Chrome] = {}

    def get(js: bool) -> webdriver.Chrome:
        if js not in made:
            made[js] = make_driver(js, downloads)
        return made[js]

    yield get
    for driver in made.values():
        driver.quit()


def open_visit(drivers, server: Server, js: bool, lang: str) -> Visit:
    driver = drivers(js)
    driver.delete_all_cookies()
    visit = Visit(driver=driver, base=server.url, js=js, lang=lang)
    visit.choose_language()
    return visit


def open_visit_at(driver: webdriver.Chrome, base: str, js: bool, lang: str) -> Visit:
    """A fresh visitor of the server at `base` (another server than the suite's: see test_session.py)."""
    driver.delete_all_cookies()
    visit = Visit(driver=driver, base=base, js=js, lang=lang)
    visit.choose_language()
    return visit


def replay_visited(v: Visit) -> None:
    """Every page the visit loaded with GET, fetched again with the browser's cookies: what is wrong with the security
    headers of each answer and with every cookie set becomes a problem of the visit."""
    if not v.gets:
        return
    client = http_client.PortalClient(v.base, v.portal_cookies())
    problems, pages = http_client.replay_problems(client, v.gets)
    v.problems += problems
    if pages == 0:
        v.problems.append(f"the replay of {len(v.gets)} page(s) loaded with GET found no HTML page to check")


def finish_visit(v: Visit) -> None:
    replay_visited(v)
    assert not v.problems, "problems on the pages visited:\n" + "\n".join(v.problems)


@pytest.fixture(params=MODES, ids=MODE_IDS)
def visit(request, drivers, server):
    """A fresh visitor (no cookies) in one mode; after the test, the problems found on its pages (and on their replay
    through urllib: security headers, cookies) fail it."""
    js, lang = request.param[0] == "js", request.param[1]
    v = open_visit(drivers, server, js, lang)
    yield v
    finish_visit(v)


@pytest.fixture
def js_visit(drivers, server):
    """A fresh visitor with JavaScript, in English (for tests that need script: focus, keyboard)."""
    v = open_visit(drivers, server, True, "en")
    yield v
    finish_visit(v)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def extra_server(server: Server, *options: str) -> Iterator[Server]:
    """A second demo server from the same binary, catalog and policies, in its own temporary directory, with extra
    `serve` options; always stopped afterwards."""
    repo = Path(__file__).resolve().parents[2]
    tmp = Path(tempfile.mkdtemp(prefix="strongroom-extra-"))
    port = free_port()
    log = tmp / "server.log"
    command = [server.binary, "serve", "--demo", "--keys", str(tmp / "Keys"), "--data", str(tmp / "data"),
               "--catalog", str(repo / "Catalog"), "--policies", str(repo / "Policies"), "--port", str(port),
               "--sign-ups-per-address", "10000", *options]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the extra server ({' '.join(options)}) exited with {process.returncode}:\n{log.read_text()}")
            try:
                if http_client.request(url + "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the extra server did not answer {url}/healthz within 60 seconds:\n{log.read_text()}")
            time.sleep(0.2)
        yield Server(url, server.binary, tmp, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def staff(server) -> http_client.StaffAPI:
    """A caseworker of the central office, signed in to the JSON API with a one-time code."""
    code = server.demo_code("carol@agency.example")
    answer = http_client.request(server.url + "/v1/sessions", "POST", http_client.json.dumps({
        "login": "carol@agency.example", "password": "demo-staff-passphrase", "code": code,
    }).encode(), {"Content-Type": "application/json"})
    assert answer.status in (200, 201), f"staff sign-in failed: {answer.status} {answer.text}"
    return http_client.StaffAPI(server.url, answer.json()["token"])
