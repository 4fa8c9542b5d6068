"""The case workers' web page, flow by flow, in Chromium against the real stack."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from denialops_shared.contracts.artifacts import Clock, ClockBasis, DeadlineLevel, Deadlines, NextAction, Regime
from tests.browser.conftest import LETTERS, Tab
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

LETTER = LETTERS / "002.txt"
LABELS = {
    json.loads(line)["file"]: json.loads(line)
    for line in (LETTERS.parent / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
}
# Run by the stack's pipeline long enough for every stage; a run takes about a second.
FINISH_MS = 60_000


def drop_files(page: Page, files: list[tuple[str, str]]) -> None:
    """Drag and drop text files onto the drop zone, as a person does from their file manager."""
    transfer = page.evaluate_handle(
        """files => { const dt = new DataTransfer();
           for (const [name, text] of files) dt.items.add(new File([text], name, {type: 'text/plain'}));
           return dt; }""",
        files,
    )
    page.dispatch_event("#drop-zone", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})


def upload_and_open(tab: Tab, name: str, text: str | Path, screenshot: str | None = None) -> str:
    """Drop one letter on the new-case page (or, for a file, pick it with the file chooser), wait until
    its plan is ready, open the case; its id."""
    tab.open("#/new")
    if isinstance(text, Path):
        tab.page.set_input_files("#letters", text)
    else:
        drop_files(tab.page, [(name, text)])
    item = tab.page.locator(".upload").last
    expect(item.get_by_text("The plan is ready")).to_be_visible(timeout=FINISH_MS)
    expect(item.locator("progress")).to_have_attribute("value", "100")
    expect(item.locator(".stage.succeeded")).to_have_count(4)
    if screenshot:
        tab.check_and_shoot(screenshot)
    item.get_by_role("link", name="Open the case").click()
    expect(tab.page.get_by_role("heading", name="What to do", exact=True)).to_be_visible()
    match = re.search(r"#/cases/([A-Za-z0-9_-]+)$", tab.page.url)
    assert match is not None, tab.page.url
    return match.group(1)


def cookie_client(stack: Stack, tab: Tab) -> httpx.Client:
    """An HTTP client holding the tab's session cookie (and nothing else)."""
    cookies = {c["name"]: c["value"] for c in tab.page.context.cookies()}
    return httpx.Client(base_url=stack.intake, cookies=cookies, timeout=30)


def test_sign_in_refuses_a_wrong_key_then_signs_in(tab: Tab, web_stack: Stack) -> None:
    tab.open()
    expect(tab.page).to_have_title("Sign in · DenialOps")
    tab.check_and_shoot("sign-in")
    tab.page.get_by_label("API key").fill("dop_0000000000000000_" + "x" * 43)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.get_by_role("alert")).to_contain_text("not accepted")
    tab.sign_in(web_stack.api_key)
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "denialops_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # Not readable by the page's scripts, and the key is not kept anywhere in the browser.
    assert "denialops_session" not in tab.page.evaluate("document.cookie")
    stored = tab.page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert web_stack.api_key not in stored


def test_upload_a_letter_watch_it_finish_and_read_the_case(new_tab: Callable[[], Tab], web_stack: Stack) -> None:
    tab = new_tab()
    tab.sign_in(web_stack.api_key)
    tab.open("#/new")
    tab.check_and_shoot("new-case")
    labels = LABELS["letters/002.txt"]
    case_id = upload_and_open(tab, LETTER.name, LETTER.read_text(encoding="utf-8"), screenshot="new-case-done")
    page = tab.page
    # Route, deadline in plain words, plan and documents.
    expect(page.locator(".route-name")).to_have_text("Get prior authorization, then resubmit")
    expect(page.locator(".deadline-line")).to_have_text("You have until 25 January 2025 to appeal.")
    assert labels["appeal_deadline"] == "2025-01-25"
    expect(page.get_by_role("heading", name="Action plan")).to_be_visible()
    expect(page.locator(".steps li").first).to_be_visible()
    expect(page.locator(".clock.filing").first).to_contain_text("by 25 January 2025")
    documents = page.locator("article.document")
    expect(documents.first).to_be_visible()
    # No PHI in the title or the address.
    assert page.title() == "Case · DenialOps"
    for secret in (labels["patient_name"], labels["member_id"], labels["claim_number"]):
        assert secret not in page.url
        assert secret not in page.title()
    tab.check_and_shoot("case")

    # Copy and download give the document exactly as the API serves it.
    name = documents.first.get_attribute("data-name")
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(), timeout=30) as api:
        served = api.get(f"/api/v1/cases/{case_id}/artifacts/{name}").text
    documents.first.get_by_role("button", name=re.compile("^Copy")).click()
    expect(documents.first.get_by_role("button", name=re.compile("^Copy"))).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == served
    with page.expect_download() as download_info:
        documents.first.get_by_role("button", name=re.compile("^Download")).click()
    download = download_info.value
    assert download.suggested_filename == name
    assert Path(download.path()).read_text(encoding="utf-8") == served

    # A fact, clicked, is highlighted where the letter says it.
    claim = page.locator('button.fact[data-fact="claim_number"]')
    expect(claim).to_have_text(labels["claim_number"])
    expect(page.locator(".letter mark")).to_have_count(0)
    claim.click()
    expect(claim).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".letter mark").first).to_have_text(labels["claim_number"])
    # The keyboard does the same, with a visible focus ring.
    billed = page.locator('button.fact[data-fact="billed_amount"]')
    billed.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".letter mark").first).to_contain_text("132.00")
    assert billed.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    expect(claim).to_have_attribute("aria-pressed", "false")
    tab.check_and_shoot("case-evidence")


def test_sign_in_with_the_keyboard_only(tab: Tab, web_stack: Stack) -> None:
    tab.open()
    page = tab.page
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(web_stack.api_key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # Focus moved to the page's content; Tab goes on to its first control, with a visible ring.
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.querySelector('main').contains(document.activeElement), "
        "getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == [True, "solid"]


def test_an_xss_letter_shows_as_text(tab: Tab, web_stack: Stack) -> None:
    tab.sign_in(web_stack.api_key)
    script = "<script>window.__xss = 'script'</script>"
    image = "<img src=x onerror=\"window.__xss = 'onerror'\">"
    letter = LETTER.read_text(encoding="utf-8").replace(
        "Q: Why wasn't it paid?", f"Note {script} {image}\n\nQ: Why wasn't it paid?"
    )
    upload_and_open(tab, "xss.txt", letter)
    page = tab.page
    expect(page.locator(".letter")).to_contain_text(script)
    expect(page.locator(".letter")).to_contain_text(image)
    assert page.evaluate("window.__xss") is None
    assert page.locator("main script").count() == 0
    assert page.locator("main img").count() == 0
    tab.check_and_shoot("case-xss")


def test_another_tenant_cannot_open_the_case(new_tab: Callable[[], Tab], web_stack: Stack) -> None:
    owner = new_tab()
    owner.sign_in(web_stack.api_key)
    case_id = upload_and_open(owner, "001.pdf", LETTERS / "001.pdf")
    other = new_tab()
    other.sign_in(web_stack.new_key("web-other-tenant"))
    other.open(f"#/cases/{case_id}")
    expect(other.page.get_by_role("alert")).to_have_text(
        "This case does not exist, or it belongs to another organisation."
    )
    expect(other.page.locator(".letter")).to_have_count(0)
    with cookie_client(web_stack, other) as client:
        assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
        text = client.get(f"/api/v1/cases/{case_id}/artifacts/case_facts.json")
        assert text.status_code == 404


def test_session_csrf_and_sign_out(tab: Tab, web_stack: Stack) -> None:
    tab.sign_in(web_stack.api_key)
    with cookie_client(web_stack, tab) as client:
        csrf = client.get("/api/v1/session").json()["csrf_token"]
        assert csrf
        # A state-changing request with the cookie alone (what a forged cross-site form sends) is refused.
        refused = client.post("/api/v1/cases", json={})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
        wrong = client.post("/api/v1/cases", json={}, headers={"X-CSRF-Token": csrf[:-1] + "A"})
        assert wrong.status_code == 403
        assert client.post("/api/v1/cases", json={}, headers={"X-CSRF-Token": csrf}).status_code == 201
        # API keys keep working as before, with no CSRF token.
        with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(), timeout=30) as api:
            assert api.post("/api/v1/cases", json={}).status_code == 201
        tab.page.get_by_role("button", name="Sign out").click()
        expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
        # The session ended on the server: the copied cookie is worthless.
        assert client.get("/api/v1/session").status_code == 401
        assert client.get("/api/v1/cases").status_code == 401
    assert not [c for c in tab.page.context.cookies() if c["name"] == "denialops_session"]


def test_every_response_carries_the_strict_policy(web_stack: Stack) -> None:
    with httpx.Client(base_url=web_stack.intake, timeout=30) as client:
        for path in ("/", "/static/app.js", "/api/v1/cases"):
            policy = client.get(path).headers["content-security-policy"]
            assert "script-src 'self'" in policy
            assert "unsafe-inline" not in policy
            assert "frame-ancestors 'none'" in policy
        page = client.get("/").text
        # Every asset comes from intake itself: no CDN.
        assert not re.search(r"(src|href)=\"(https?:)?//", page)


def deadlines_artifact() -> str:
    """A `deadlines.json` as the deadline engine writes it (built from the contract, so it is valid)."""
    clock = Clock(due=dt.date(2025, 1, 20), basis=ClockBasis.PRINTED, window=None, source="the letter")
    decision = Clock(due=None, basis=ClockBasis.COMPUTED, window="72 hours after you file", source="42 CFR 438.410")
    later = Clock(due=dt.date(2025, 5, 20), basis=ClockBasis.ASSUMED, window="120 days", source="state rule")
    deadlines = Deadlines(
        regime=Regime.MEDICAID_MANAGED_CARE,
        regime_reason="The letter names a Medicaid health plan.",
        levels=[
            DeadlineLevel(level="appeal", track="expedited", filing=clock, decision=decision),
            DeadlineLevel(level="fair_hearing", track="standard", filing=later, decision=None),
        ],
        warnings=["The fair hearing date assumes the letter arrived on its date."],
        next_action=NextAction(
            level="appeal", action="Ask for a fast appeal", due=dt.date(2025, 1, 20), basis=ClockBasis.PRINTED
        ),
        appealable=True,
    )
    return deadlines.model_dump_json()


def test_deadlines_timeline_shows_both_clocks_of_each_level(tab: Tab, web_stack: Stack) -> None:
    tab.sign_in(web_stack.api_key)
    case_id = upload_and_open(tab, LETTER.name, LETTER.read_text(encoding="utf-8"))
    artifact = deadlines_artifact()

    def listing(route: Route) -> None:
        body = route.fetch().json()
        body["items"].append(
            {
                "name": "deadlines.json",
                "media_type": "application/json",
                "sha256": "",
                "stage": "plan",
                "run_id": body["task_id"],
            }
        )
        route.fulfill(json=body)

    # The run has no deadlines.json until the deadline engine writes one: the page gets the contract's.
    tab.page.route(f"**/api/v1/cases/{case_id}/artifacts", listing)
    tab.page.route(
        f"**/api/v1/cases/{case_id}/artifacts/deadlines.json",
        lambda route: route.fulfill(body=artifact, content_type="application/json"),
    )
    tab.page.reload()
    page = tab.page
    expect(page.locator(".deadline-line")).to_have_text("You have until 20 January 2025 to ask for a fast appeal.")
    clocks = page.locator(".timeline .clock")
    expect(clocks).to_have_count(3)
    expect(clocks.nth(0)).to_contain_text("File the appeal (fast track) by 20 January 2025 (printed in the letter")
    expect(clocks.nth(1)).to_contain_text("Insurer decides the appeal (fast track): 72 hours after you file")
    expect(clocks.nth(2)).to_contain_text("File the state fair hearing by 20 May 2025 (an estimate: check it")
    expect(page.locator(".timeline-track .tick")).to_have_count(3)  # today and the two dated clocks
    expect(page.locator(".warnings")).to_contain_text("assumes the letter arrived")
    expect(page.get_by_text("Rules: Medicaid managed care.")).to_be_visible()
    tab.check_and_shoot("case-deadlines")
