"""Hostile articles in a real browser: nothing from an article runs, loads or links, in any tab."""

from __future__ import annotations

import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag import Corpus, Settings, ingest

from .conftest import ROOT, SEED, free_port
from .hostile import xss_articles
from .test_ui import CHROMIUM_ARGS

ARTIFACTS = ROOT / "test-artifacts"


class Beacon:
    """An HTTP server on 127.0.0.1 that records every request: any hit means a payload loaded."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, embedder):
    from ui.app import launch

    beacon = Beacon()
    d = tmp_path_factory.mktemp("hostile-ui")
    f = d / "xss.json"
    f.write_text(json.dumps(xss_articles(beacon.url)))
    settings = Settings(data_dir=d / "data")
    corpus = Corpus(settings, embedder=embedder)
    ingest(corpus, [str(f), str(SEED)])
    demo, url = launch(settings, "127.0.0.1", free_port(), block=False, corpus=corpus)
    yield url.rstrip("/"), beacon, d
    demo.close()
    beacon.server.shutdown()


@pytest.fixture
def hostile_page(hostile_app):
    from playwright.sync_api import sync_playwright

    url, beacon, _ = hostile_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(90_000)
        dialogs: list[str] = []
        page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
        requested: list[str] = []
        page.on("request", lambda req: requested.append(req.url) if req.url.startswith(beacon.url) else None)
        page.goto(url)
        yield page, dialogs, requested, beacon
        context.close()
        browser.close()


def live_foreign_links(page, beacon_url: str) -> list[str]:
    """Hrefs of anchors that lead off the app to a payload: javascript:, data:, or the beacon."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:")) or beacon_url in h]


def test_hostile_articles_stay_inert_in_every_tab(hostile_page, tmp_path):
    from playwright.sync_api import expect

    page, dialogs, requested, beacon = hostile_page
    chat = page.locator("#chat")
    # Ask: answers quoting the payload sentences, then every citation clicked open.
    for i, question in enumerate(("Which ferry route did the port authority announce?", "How much do ferry tickets cost?",
                                  "Who is the harbour master?", "How many daily crossings does the ferry schedule have?")):
        page.locator("#question textarea").fill(question)
        page.locator("#ask-btn").click()
        # this question's reply has started (the backend line left the previous "Answered by"), then it ends
        expect(chat.locator('[data-testid="bot"]')).to_have_count(i + 1, timeout=90_000)
        expect(page.locator("#backend-line")).to_contain_text("Answered by", timeout=90_000)
        for marker in chat.locator('a[href^="#cite-"]').all():
            marker.click()
        page.wait_for_timeout(300)
    expect(chat).to_contain_text("<img src=")        # shown as text, not as an image
    expect(chat).to_contain_text("[[9]](#cite-9)")   # the fake marker is literal text
    assert chat.locator('a[href="#cite-9"]').count() == 0
    assert chat.locator("img").count() == 0 and page.locator("#sources-panel img").count() == 0
    badges = chat.locator(".badge")
    assert all(b.inner_text().split(" · ")[0] in ("supported", "possible answer", "unsupported") for b in badges.all())
    expect(page.locator("#sources-panel")).to_contain_text("<script>fetch(")  # literal, in the quoted passage
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-ask.png"))
    # Briefing
    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill("ferry route to Vigo")
    page.locator("#brief-btn").click()
    out = page.locator("#brief-out")
    expect(out).to_contain_text("Key points")
    expect(out).to_contain_text("Sources")
    assert out.locator("img, iframe, svg image, script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile-brief.png"))
    # Library
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#articles-table")
    expect(table).to_contain_text("<script>alert('title')</script>Ferry news")
    assert table.locator("img, b, script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile-library.png"))
    # Evaluate, with an uploaded gold file whose question and id carry payloads too
    gold = tmp_path / "hostile-gold.jsonl"
    gold.write_text(json.dumps({"id": "<img src=x onerror=alert(10)>", "question": "Which ferry route did the port authority announce? <b>x</b>",
                                "answerable": True, "gold_citations": [{"article": "Coast Daily", "quote": "four daily crossings"}]}) + "\n")
    page.get_by_role("tab", name="Evaluate").click()
    page.locator("#eval-upload input[type=file]").set_input_files(str(gold))
    page.locator("#eval-btn").click()
    expect(page.locator("#eval-metrics")).to_contain_text("citation_recall", timeout=180_000)
    expect(page.locator("#eval-questions")).to_contain_text("<img src=x onerror=alert(10)>")
    page.screenshot(path=str(ARTIFACTS / "hostile-evaluate.png"))
    page.wait_for_timeout(1000)
    assert dialogs == []
    assert requested == [] and beacon.hits == []
    assert live_foreign_links(page, beacon.url) == []


def test_briefing_download_is_an_attachment(hostile_app):
    import httpx

    url, _, d = hostile_app
    r = httpx.post(f"{url}/gradio_api/call/ui_brief", json={"data": ["ferry route to Vigo", [], "", "", 20]}, timeout=30)
    body = httpx.get(f"{url}/gradio_api/call/ui_brief/{r.json()['event_id']}", timeout=120).text
    data = json.loads(next(line[6:] for line in body.splitlines() if line.startswith("data: ") and line[6:].startswith("[")))
    info = data[1]
    assert str(d) not in info["path"]  # never under the data dir
    got = httpx.get(info["url"], timeout=10)
    assert got.status_code == 200
    # Gradio hands the file out as a download of opaque bytes, never as a page of this origin.
    assert "attachment" in got.headers.get("content-disposition", "")
    assert "text/html" not in got.headers.get("content-type", "")
    # readable Markdown: every "<" of article text is backslash-escaped, so none can open a tag
    assert "\\<script" in got.text and not re.search(r"(?<!\\)<script", got.text)
