"""The Gradio app in a real browser (Debian chromium driven by Playwright) and via gradio_client."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from rag import Corpus, Settings, ingest

from .conftest import ROOT, SEED, free_port, rag_cli

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
NEW_ARTICLE = """---
title: Harbour authority names new chief
source: Coast Weekly
published_at: 2024-03-02
url: https://coast.example/harbour-chief
---
The harbour authority has named Marta Quintero as its new chief executive, replacing Tom Reyes after eleven years.

Quintero previously ran the cargo terminal at Port Esk, where she doubled container traffic between 2018 and 2022.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    from ui.app import launch

    d = tmp_path_factory.mktemp("ui")
    settings = Settings(data_dir=d / "data")
    corpus = Corpus(settings, embedder=embedder)
    ingest(corpus, [str(SEED)])
    port = free_port()
    demo, url = launch(settings, "127.0.0.1", port, block=False, corpus=corpus)
    yield url.rstrip("/"), d
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    pg.goto(server[0])
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or os.environ.get("UI_SCREENSHOTS"):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}{'-FAILED' if failed else ''}.png"))
    context.close()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask-btn").click()


def test_ask_click_citation_shows_highlighted_passage(page):
    from playwright.sync_api import expect

    ask(page, "Which Iraqi army divisions are named?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("fifth")
    marker = chat.locator('a[href="#cite-1"]').first
    expect(marker).to_be_visible()
    expect(page.locator("#backend-line")).to_contain_text("offline extractive")
    context = page.locator("#cite-1 .src-context")
    expect(context).to_be_hidden()
    marker.click()
    expect(page.locator("#cite-1")).to_have_class(re.compile(r"\bactive\b"))
    mark = page.locator("#cite-1 .src-context > mark")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("fifth and eighth divisions")
    # the short answer opens the answer and is highlighted inside the cited span
    expect(chat.locator("strong").first).to_have_text("fifth and eighth divisions")
    expect(page.locator("#cite-1 [data-testid=answer-span]")).to_have_text("fifth and eighth divisions")
    # one article, but the name says the kind asked for in a sentence holding every word of the question
    expect(chat.locator(".badge").first).to_contain_text("supported")
    expect(chat.locator(".badge").first).to_have_attribute("title", re.compile("answers the question"))  # explained on hover
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ask-1280x800.png"))
    # the highlighted span is visible inside the panel without scrolling the whole page
    box = mark.bounding_box()
    assert box and box["y"] + box["height"] <= 800


def test_refusal_is_shown_as_such(page):
    from playwright.sync_api import expect

    ask(page, "What is the capital of France?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("The articles don't say.")
    expect(chat).to_contain_text("Closest passages, not an answer")
    assert "()" not in chat.inner_text()  # no empty outlet brackets for an article without one
    chat.locator('a[href="#lead-1"]').click()
    expect(page.locator("#lead-1")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#lead-1")).to_contain_text("not an answer")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "refusal-leads-1280x800.png"))


def test_upload_then_ask_about_it(page, tmp_path):
    from playwright.sync_api import expect

    f = tmp_path / "harbour chief (new).md"
    f.write_text(NEW_ARTICLE)
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(f))
    page.locator("#ingest-btn").click()
    expect(page.locator("#ingest-results")).to_contain_text("ingested")
    expect(page.locator("#articles-table")).to_contain_text("Harbour authority names new chief")
    # newest first: the upload is the first row
    table = page.locator("#articles-table").inner_text()
    assert table.index("Harbour authority names new chief") < table.index("The threat of IRGC"), table[:300]
    last_header = page.locator("#articles-table th").last.bounding_box()
    assert last_header and last_header["x"] + last_header["width"] <= 1280  # the id column is on screen
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "library-1280x800.png"))
    page.get_by_role("tab", name="Ask").click()
    # the outlet list picked up the new article's outlet without a reload
    page.locator("#ask-outlets input").click()
    expect(page.get_by_role("option", name="Coast Weekly")).to_be_visible()
    page.keyboard.press("Escape")
    ask(page, "Who is the new chief executive of the harbour authority?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("Marta Quintero")
    chat.locator('a[href="#cite-1"]').first.click()
    expect(page.locator("#cite-1")).to_contain_text("Harbour authority names new chief")


def test_briefing_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill("Iran-backed militias and Iraqi security forces")
    page.locator("#brief-btn").click()
    out = page.locator("#brief-out")
    expect(out).to_contain_text("Key points")
    expect(out).to_contain_text("Badr Corps")
    expect(out).to_contain_text("Timeline")
    expect(page.locator("#brief-download")).to_contain_text(".md")
    expect(out).to_contain_text("Iran-backed")  # read as typed, no character reference shows through
    expect(out.get_by_role("button", name=re.compile("copy", re.I))).to_have_count(1)
    # a topic no article is about says so instead of briefing on whatever is stored
    page.locator("#brief-topic textarea").fill("narwhal kite contest")
    page.locator("#brief-btn").click()
    expect(out).to_contain_text("no articles on this topic")
    expect(out).not_to_contain_text("Key points")
    # the briefing's date fields are the same typed-or-picked fields; a bad one is a sentence
    page.locator("#brief-topic textarea").fill("Iran-backed militias and Iraqi security forces")
    page.locator("#brief-since input").fill("last spring")
    page.locator("#brief-btn").click()
    expect(out).to_contain_text("The “Since” date “last spring” is not a date. Type it as 2023-12-01")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "briefing-bad-date-1280x800.png"))


def test_a_saved_briefing_then_only_what_is_new(page, server):
    """Save a briefing under a name, then ask what is new since: nothing was added, and it says so in one line."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill("Iran-backed militias and Iraqi security forces")
    page.locator("#brief-save-name textarea").fill("../daily")
    page.locator("#brief-save-btn").click()
    expect(page.locator("#brief-save-status")).to_contain_text("is not usable")
    page.locator("#brief-save-name textarea").fill("daily")
    page.locator("#brief-save-btn").click()
    expect(page.locator("#brief-save-status")).to_contain_text("Saved as “daily”")
    expect(page.locator("#brief-saved input")).to_have_value("daily")
    page.locator("#brief-since-last-btn").click()
    out = page.locator("#brief-out")
    expect(out).to_contain_text("What is new: Iran-backed militias and Iraqi security forces")
    expect(out).to_contain_text("Nothing new on this topic since “daily”")
    expect(page.locator("#brief-download")).to_contain_text("new-since-daily")
    from gradio_client import Client

    diff = Client(server[0], verbose=False).predict("daily", api_name="/since_last")  # the same through the API
    assert diff["name"] == "daily" and diff["added"] == 0 and "Nothing new on this topic" in diff["markdown"]


def test_evaluate_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Evaluate").click()
    page.locator("#eval-btn").click()
    table = page.locator("#eval-metrics")
    expect(table).to_contain_text("citation_recall", timeout=180_000)
    expect(table).to_contain_text("hits_at_4")
    expect(table).to_contain_text("share of gold passages the answer cites")  # each metric explained
    questions = page.locator("#eval-questions")
    expect(questions).to_contain_text("✓ right")
    expect(questions).to_contain_text("Which Iraqi army divisions are named?")
    assert page.locator(".progress-text, .eta-bar").count() <= 1  # one progress indicator, not one per output
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evaluate-1280x800.png"), full_page=True)


def test_gradio_client_ask_and_ingest(server, tmp_path):
    from gradio_client import Client, handle_file

    url, _ = server
    client = Client(url, verbose=False)
    result = client.predict("Which Iraqi army divisions are named?", [], "", "", api_name="/ask")
    assert not result["refused"] and "fifth" in result["answer"]
    assert any("fifth and eighth divisions" in c["quote"] for c in result["citations"])
    f = tmp_path / "dam.txt"
    f.write_text("River dam opens\nThe new river dam opened on Tuesday and will power 40,000 homes, the utility said.")
    rows = client.predict([handle_file(str(f))], api_name="/ingest")
    assert rows[0][0] == "dam.txt" and rows[0][1] == "ingested"
    titles = [r[0] for r in client.predict("dam", api_name="/articles")]
    assert "River dam opens" in titles
    bad = tmp_path / "evil.exe"
    bad.write_bytes(b"MZ")
    rows = client.predict([handle_file(str(bad))], api_name="/ingest")
    assert rows[0][1] == "error" and "not allowed" in rows[0][2]


def test_api_cannot_read_files_outside_uploads(server, tmp_path):
    """Raw API calls naming server paths (absolute, .., symlinked, file= and http URLs) read and copy nothing."""
    import httpx

    from .uploads import assert_server_files_refused

    url = server[0]
    with httpx.Client() as client:
        assert_server_files_refused(client, url, tmp_path, "not a file uploaded to this app")
        # The upload route's own paths pass the guard and reach the handler's checks.
        up = client.post(f"{url}/gradio_api/upload", files={"files": ("notes.csv", b"a,b")}, timeout=10).json()[0]
        r = client.post(f"{url}/gradio_api/call/ingest", json={"data": [[{"path": up, "meta": {"_type": "gradio.FileData"}}]]})
        body = client.get(f"{url}/gradio_api/call/ingest/{r.json()['event_id']}", timeout=60).text
        assert "extension .csv not allowed" in body


def test_api_eval_rejects_paths(server):
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    with pytest.raises(Exception, match="unknown gold file"):
        client.predict("../../etc/passwd", 0, api_name="/eval")


def test_upload_names_are_sanitised():
    from ui.render import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\win.ini") == "win.ini"
    assert safe_name("my report (final).md") == "my_report_final_.md"
    assert "/" not in safe_name("a/b/../c.txt") and safe_name("...") == "upload"


def test_every_endpoint_in_the_readme_is_real(server, tmp_path, monkeypatch):
    """Each `c.predict(...)` line of the README's API block runs as written against the live app."""
    from gradio_client import Client, handle_file

    readme = (ROOT / "README.md").read_text()
    block = readme.split("from gradio_client import Client, handle_file", 1)[1].split("```", 1)[0]
    calls = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip().startswith("c.predict(")]
    documented = set(re.findall(r'api_name="(/\w+)"', block))
    assert len(calls) >= 5 and len(documented) == len(calls)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "new.txt").write_text("Canal news\nThe canal reopened on Thursday after dredging, the port said.")
    rag_cli(["brief", "Iran-backed militias", "--save", "militias", "--offline"], server[1] / "data")  # what /since_last reads
    c = Client(server[0], verbose=False)
    for call in calls:
        result = eval(call, {"c": c, "handle_file": handle_file})  # noqa: S307 - the README's own lines
        assert result is not None, call
    public = {name for name, info in c.view_api(return_format="dict", print_info=False)["named_endpoints"].items()}
    assert documented <= public
    assert {"/ask", "/brief", "/ingest", "/eval", "/articles"} <= documented


def test_filters_row_chips_clear_and_plain_date_errors(page):
    from playwright.sync_api import expect

    expect(page.locator("#backend-line")).to_contain_text("Ready — ask a question.")
    row, chat = page.locator("#filters-row"), page.locator("#chat")
    assert row.bounding_box()["y"] < chat.bounding_box()["y"]  # the filters sit above the chat, always visible
    since = page.locator("#ask-since input")
    since.fill("2020-01-01")
    since.press("Enter")
    chips = page.locator("[data-testid=filter-chips]")
    expect(chips).to_contain_text("since 2020-01-01")
    # the other date comes from the calendar picker: its button opens a month, a click on a day fills the field
    page.locator("#ask-until button.calendar").click()
    page.get_by_role("button", name="15", exact=True).first.click()
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#ask-until input")).to_have_value(re.compile(r"^\d{4}-\d{2}-15$"))
    expect(chips).to_contain_text(re.compile(r"until \d{4}-\d{2}-15"))
    for field in ("#ask-since", "#ask-until"):  # each calendar button is on screen, inside the row
        box = page.locator(f"{field} button.calendar").bounding_box()
        assert box and box["x"] + box["width"] <= row.bounding_box()["x"] + row.bounding_box()["width"] + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "filters-chips-1280x800.png"))
    page.locator("#clear-btn").click()
    expect(chips).to_have_count(0)
    expect(since).to_have_value("")
    # a typed date the picker cannot read is not silently dropped: the question gets a sentence, not a silent filter
    page.locator("#ask-until input").fill("Dec 1 2023")
    ask(page, "Which Iraqi army divisions are named?")
    expect(chat).to_contain_text("The “Until” date “Dec 1 2023” is not a date. Type it as 2023-12-01")
    expect(page.locator("#sources-panel")).to_contain_text("Ask a question to see cited passages.")
    # filters that leave no article are a sentence naming them, not an empty answer
    page.locator("#clear-btn").click()
    expect(chat).not_to_contain_text("Dec 1 2023")
    page.locator("#ask-since input").fill("2030-01-01")
    ask(page, "Which Iraqi army divisions are named?")
    expect(chat).to_contain_text("No articles published on or after 2030-01-01")


def test_copy_or_export_gives_clean_markdown(page):
    from playwright.sync_api import expect

    ask(page, "Which Iraqi army divisions are named?")
    expect(page.locator("#backend-line")).to_contain_text("Answered by", timeout=90_000)
    page.get_by_text("Copy or export the last answer").click()
    md = page.locator("#answer-md textarea")
    expect(md).to_have_value(re.compile(r"fifth and eighth divisions\*\* \[1\]"))
    text = md.input_value()
    assert "Sources:" in text and "1. The threat of IRGC" in text
    assert "badge" not in text and "#cite-" not in text and "<span" not in text
    assert "&#" not in text and "Pentagon's inspector-general" in text  # reads as typed
    with page.expect_download() as dl:
        page.locator("#answer-download").click()
    assert dl.value.suggested_filename == "answer-Which_Iraqi_army_divisions_are_named.md"
    assert dl.value.path().read_text(encoding="utf-8") == text  # the file is the text shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export-1280x800.png"))


def test_library_search_and_per_row_delete_with_confirmation(page, tmp_path):
    from playwright.sync_api import expect

    f = tmp_path / "ferry timetable.md"
    f.write_text("---\ntitle: Ferry timetable changes for winter\nsource: Island Courier\npublished_at: 2024-01-09\n---\n"
                 "The island ferry will run four crossings a day from November, down from six, the operator said.\n")
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(f))
    page.locator("#ingest-btn").click()
    table = page.locator("#articles-table")
    expect(table).to_contain_text("Ferry timetable changes for winter")
    page.reload()  # after a reload, both outlet lists still hold the uploaded article's outlet
    for tab, field in (("Ask", "#ask-outlets"), ("Briefing", "#brief-outlets")):
        page.get_by_role("tab", name=tab).click()
        page.locator(f"{field} input").click()
        expect(page.get_by_role("option", name="Island Courier")).to_be_visible()
        page.keyboard.press("Escape")
    page.get_by_role("tab", name="Library").click()
    page.locator("#library-search textarea").fill("island courier")  # search by outlet, any case
    expect(table).not_to_contain_text("The threat of IRGC")
    expect(table).to_contain_text("Ferry timetable changes for winter")
    delete_cell = table.get_by_text("Delete", exact=True).filter(visible=True)
    expect(delete_cell).to_have_count(1)
    delete_cell.click()  # one click on the row's own Delete cell asks first
    msg = page.locator("#delete-msg")
    expect(msg).to_contain_text("Delete “Ferry timetable changes for winter” and its passages? This cannot be undone.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "library-delete-confirm-1280x800.png"))
    page.locator("#cancel-delete-btn").click()
    expect(msg).to_have_text("")
    expect(table).to_contain_text("Ferry timetable changes for winter")  # cancel keeps it
    delete_cell.click()
    expect(page.locator("#selected-article")).to_contain_text("Ferry timetable changes for winter")
    page.locator("#confirm-delete-btn").click()
    expect(msg).to_contain_text("deleted “Ferry timetable changes for winter”")
    expect(page.locator("#selected-article")).to_have_text("")  # the deleted article is no longer "selected"
    expect(page.locator("#delete-btn")).to_be_disabled()
    expect(table).not_to_contain_text("Ferry timetable changes for winter")
    page.locator("#library-search textarea").fill("")
    expect(table).to_contain_text("The threat of IRGC")  # only the confirmed row went
    last_header = table.locator("th").last.bounding_box()
    assert last_header and last_header["x"] + last_header["width"] <= 1280  # the delete column is on screen


UNLABELLED_INPUTS_JS = """() => Array.from(document.querySelectorAll('input, textarea, select'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.getAttribute('aria-label') || '').trim() && !(el.labels && Array.from(el.labels).some(l => l.textContent.trim()))
                && !el.getAttribute('aria-labelledby') && !(el.title || '').trim())
  .map(el => el.outerHTML.slice(0, 120))"""


def test_page_fits_1280x800_every_input_is_named_and_counts_agree(page):
    from playwright.sync_api import expect

    expect(page.locator("#backend-line")).to_contain_text("Ready")
    # question box, Ask and the status line are in view without scrolling
    for sel in ("#question textarea", "#ask-btn", "#backend-line"):
        box = page.locator(sel).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 800, (sel, box)
    # every visible field has an accessible name, in every tab (Gradio's date boxes have none of their own)
    for tab in ("Ask", "Briefing", "Library", "Evaluate"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(300)
        assert page.evaluate(UNLABELLED_INPUTS_JS) == [], tab
    page.get_by_role("tab", name="Ask").click()
    expect(page.get_by_role("textbox", name="Since").first).to_be_visible()  # the date box is named by its label
    # the Library header counts the outlets the filter lists offer
    stats = page.locator("#library-stats").inner_text()
    page.get_by_role("tab", name="Ask").click()
    page.locator("#ask-outlets input").click()
    offered = page.get_by_role("option").count()
    page.keyboard.press("Escape")
    assert re.search(rf"\b{offered} outlets\b", stats), (stats, offered)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ask-fold-1280x800.png"))


def test_follow_up_shows_the_question_searched(page):
    from playwright.sync_api import expect

    ask(page, "Which militia is the most prominent of the PMF militias?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("Badr Corps")
    ask(page, "Which attack was it responsible for?")
    expect(chat).to_contain_text("Searched as: Which attack was Badr Corps responsible for?")
    expect(chat).to_contain_text("Embassy")


def test_rag_ui_shows_a_starting_page_at_once_then_the_app(browser, tmp_path):
    """`rag ui` answers with a "starting" page before the app has loaded; the page opens the app by itself."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from playwright.sync_api import expect

    port = free_port()
    env = os.environ | {"RAG_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ui", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = None
        deadline = time.time() + 60
        while first is None and time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                first = "app"
            except urllib.error.HTTPError as exc:
                first = "starting" if exc.headers.get("X-Rag-Loading") else f"HTTP {exc.code}"
            except OSError:
                time.sleep(0.05)
        assert first == "starting"  # the first thing served is the starting page, not a connection error
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        pg = context.new_page()
        pg.goto(f"http://127.0.0.1:{port}/")
        expect(pg.get_by_role("status")).to_contain_text("Starting the app")
        expect(pg.locator("#question textarea")).to_be_visible(timeout=90_000)  # reloaded into the app by itself
        context.close()
    finally:
        proc.terminate()
        proc.wait(30)


def test_filter_errors_are_typed_and_worded_for_the_page():
    """The page words a filter error from its field and value, never by matching the CLI's message text."""
    from rag.filters import FilterError, Filters
    from ui.render import plain_filter_error

    cases = [(dict(since="last spring"), "since", "The “Since” date “last spring” is not a date."),
             (dict(until="2023-02-30"), "until", "The “Until” date “2023-02-30” is not a date."),
             (dict(since="2023-12-01", until="2023-11-01"), "order", "“Since” (2023-12-01) is after “Until” (2023-11-01)."),
             (dict(sources=["Nowhere Times"]), "outlet", "Outlet 'Nowhere Times' is not a stored outlet")]
    for kwargs, field, sentence in cases:
        with pytest.raises(FilterError) as caught:
            Filters.parse(["Coast Weekly"], names=("outlet", "since", "until"), **kwargs)
        assert caught.value.field == field
        assert plain_filter_error(caught.value).startswith(sentence)
