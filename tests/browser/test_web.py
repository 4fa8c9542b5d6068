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
from tests.infra import ROOT
from tests.support.secrets import tampered

pytestmark = pytest.mark.e2e

LETTER = LETTERS / "002.txt"
DECISION_LETTER = ROOT / "tests" / "e2e" / "fixtures" / "upheld_appeal_decision.txt"
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
    # The deadline engine's next action, in plain words.
    expect(page.locator(".deadline-line")).to_have_text(re.compile(r"^You have until 25 January 2025 to file the \w"))
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

    # Print / PDF prints that document alone (the print dialog itself is the browser's).
    page.evaluate("window.print = () => { window.__printed = true; }")
    documents.first.get_by_role("button", name=re.compile("^Print or save")).click()
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    assert documents.first.locator(".document-body").evaluate("el => getComputedStyle(el).visibility") == "visible"
    assert page.locator("h1").evaluate("el => getComputedStyle(el).visibility") == "hidden"
    assert documents.nth(1).evaluate("el => getComputedStyle(el).visibility") == "hidden"
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("body.printing-document").count() == 0

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
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.querySelector('main').contains(document.activeElement), "
        "getComputedStyle(document.activeElement).outlineStyle, document.activeElement.outerHTML.slice(0, 80)]"
    )
    assert focused[:2] == [True, "solid"], focused


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
        wrong = client.post("/api/v1/cases", json={}, headers={"X-CSRF-Token": tampered(csrf)})
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

    # A deadlines.json with an expedited level and an undated decision clock, built from the contract.
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


def test_record_a_submission_and_an_upheld_decision(tab: Tab, web_stack: Stack) -> None:
    tab.sign_in(web_stack.api_key)
    case_id = upload_and_open(tab, LETTER.name, LETTER.read_text(encoding="utf-8"))
    page = tab.page
    work = page.locator("section", has=page.get_by_role("heading", name="Case work"))
    expect(work.locator(".work-status")).to_have_text("New")

    owner = work.locator("form", has=page.get_by_role("heading", name="Owner"))
    owner.get_by_label("Who works this case").fill("ana.billing")
    owner.get_by_role("button", name="Assign").click()
    expect(work.locator(".work-owner")).to_have_text("ana.billing")

    note = work.locator("form", has=page.get_by_role("heading", name="Add a note"))
    note.get_by_label("Note").fill("Called the insurer <b>twice</b>; they want the clinical notes.")
    note.get_by_role("button", name="Add note").click()
    expect(work.locator('.history li[data-action="note_added"]')).to_contain_text("<b>twice</b>")

    sent = work.locator("form", has=page.get_by_role("heading", name="Record what was sent"))
    sent.get_by_label("Level").select_option("appeal")
    sent.get_by_label("Sent on").fill("2024-12-02")
    sent.get_by_label("How").select_option("fax")
    sent.get_by_role("checkbox").first.check()
    sent.get_by_role("button", name="Record submission").click()
    expect(work.locator(".work-status")).to_have_text("Submitted")

    decided = work.locator("form", has=page.get_by_role("heading", name="Record the insurer's decision"))
    decided.get_by_label("Decision").select_option("upheld")
    decided.get_by_label("Decided on").fill("2025-01-10")
    decided.get_by_label("Amount recovered (USD)").fill("0")
    decided.get_by_role("button", name="Record decision").click()
    expect(work.locator(".work-status")).to_have_text("Decided (Upheld: still denied)")
    history = work.locator(".history li")
    expect(history).to_have_count(4)
    actions = [history.nth(i).get_attribute("data-action") for i in range(4)]
    assert actions == ["owner_changed", "note_added", "submission_recorded", "decision_recorded"]
    expect(history.nth(2)).to_contain_text("Appeal by fax on 2 December 2024")
    expect(history.nth(3)).to_contain_text("Upheld: still denied on 10 January 2025, $0.00 recovered")

    # A second decision with no submission awaiting one is refused, shown, and changes nothing.
    decided = work.locator("form", has=page.get_by_role("heading", name="Record the insurer's decision"))
    decided.get_by_label("Decided on").fill("2025-01-11")
    decided.get_by_role("button", name="Record decision").click()
    expect(decided.get_by_role("alert")).to_contain_text("no submission awaiting a decision")
    expect(work.locator(".history li")).to_have_count(4)
    # The upheld decision moved the case to the next level of its deadlines.
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(), timeout=30) as api:
        level = api.get(f"/api/v1/cases/{case_id}").json()["work"]["level"]
    assert level not in (None, "appeal"), level
    expect(work.locator(".work-level")).not_to_have_text("Appeal")
    tab.check_and_shoot("case-work")

    # The insurer's answer, uploaded on the case, is read like any letter; the case page then shows it.
    answer = work.locator("form", has=page.get_by_role("heading", name="The insurer's answer"))
    answer.get_by_label("Upload the insurer's response letter").set_input_files(DECISION_LETTER)
    answer.get_by_role("button", name="Upload response").click()
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(), timeout=30) as api:
        for _ in range(FINISH_MS // 500):
            tasks = api.get(f"/api/v1/cases/{case_id}").json()["tasks"]
            if len(tasks) == 2 and tasks[0]["status"] == "succeeded":
                break
            page.wait_for_timeout(500)
        assert [t["status"] for t in tasks] == ["succeeded", "succeeded"], tasks
    page.reload()
    expect(page.locator(".letter")).to_contain_text("we are upholding our original decision")
    page.locator('button.fact[data-fact="billed_amount"]').click()
    expect(page.locator(".letter mark").first).to_contain_text("18,940.00")


WORKLIST_LETTERS = ("015.txt", "002.txt", "006.txt")  # overdue on the stack's day, 10 days left, 46 days left


def test_the_worklist_ranks_cases_and_analytics_counts_them(new_tab: Callable[[], Tab], web_stack: Stack) -> None:
    key = web_stack.new_key("web-worklist")
    tab = new_tab()
    tab.sign_in(key)
    for name in WORKLIST_LETTERS:
        upload_and_open(tab, name, (LETTERS / name).read_text(encoding="utf-8"))
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(key), timeout=30) as api:
        expected = api.get("/api/v1/worklist").json()["items"]
    assert len(expected) == len(WORKLIST_LETTERS)
    tab.open("#/worklist")
    page = tab.page
    rows = page.locator("table.worklist tbody tr")
    expect(rows).to_have_count(len(WORKLIST_LETTERS))
    shown = [rows.nth(i).get_attribute("data-case") for i in range(len(WORKLIST_LETTERS))]
    assert shown == [item["case_id"] for item in expected]  # the API's priority order
    priorities = [item["priority"] for item in expected]
    assert priorities == sorted(priorities, reverse=True)
    # Overdue stands out.
    overdue = [item for item in expected if item["days_left"] is not None and item["days_left"] < 0]
    assert overdue, expected
    row = page.locator(f'tr[data-case="{overdue[0]["case_id"]}"]')
    expect(row).to_have_class(re.compile("overdue"))
    expect(row.locator(".badge")).to_have_text(f"{-overdue[0]['days_left']} days overdue")
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()  # one page holds them all
    tab.check_and_shoot("worklist")
    # Sorting by amount, largest first.
    page.get_by_role("button", name="Amount").click()
    by_amount = sorted(expected, key=lambda item: -(item["amount_at_stake"] or 0))
    expect(rows.first).to_have_attribute("data-case", by_amount[0]["case_id"])
    expect(page.locator('th[data-key="amount_at_stake"]')).to_have_attribute("aria-sort", "descending")
    # Live: a case whose run finishes meanwhile appears without a reload (the list refreshes itself).
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(key), timeout=30) as api:
        case_id = api.post("/api/v1/cases", json={}).json()["case_id"]
        letter = (LETTERS / "010.txt").read_bytes()
        sent = api.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("l.txt", letter, "text/plain")})
        assert sent.status_code == 201, sent.text
    expect(page.locator(f'tr[data-case="{case_id}"]')).to_be_visible(timeout=FINISH_MS)
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(key), timeout=30) as api:
        expected = api.get("/api/v1/worklist").json()["items"]
    # A filter goes to the API and narrows the list.
    page.get_by_label("What to do").select_option("prior_auth_needed")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(sum(item["route"] == "prior_auth_needed" for item in expected))

    tab.open("#/analytics")
    expect(page.get_by_text(re.compile("^Denials dated"))).to_be_visible()
    page.get_by_label("From", exact=True).fill("2024-01-01")
    page.get_by_label("To", exact=True).fill("2025-01-15")
    page.get_by_role("button", name="Show").click()
    with httpx.Client(base_url=web_stack.intake, headers=web_stack.auth(key), timeout=30) as api:
        kpis = api.get("/api/v1/analytics", params={"from": "2024-01-01", "to": "2025-01-15"}).json()["kpis"]
    assert kpis["denials_received"] >= 2, kpis  # letters whose denial date falls in the range
    expect(page.locator('[data-kpi="denials_received"] .value')).to_have_text(str(kpis["denials_received"]))
    expect(page.locator('[data-kpi="dollars_at_stake"] .value')).to_have_text(f"${kpis['dollars_at_stake']:,.2f}")
    expect(page.locator("figure.chart")).to_have_count(4)
    tab.check_and_shoot("analytics")
