"""Web pages and feeds, served from a local HTTP server on 127.0.0.1: each failure is one line, the rest is ingested."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.errors import IngestError
from rag.web import USER_AGENT, fetch, web_articles

from .conftest import rag_cli
from .test_cli import run
from .test_ui import ARTIFACTS, browser, page, server  # noqa: F401  (fixtures)

PAGE = """<!doctype html><html><head><title>Harbour dredging approved</title>
<meta property="og:site_name" content="Port Gazette"><meta name="date" content="2024-03-05">
<script>alert('not run')</script></head><body><article><h1>Harbour dredging approved</h1>
<p>The port authority approved the dredging of the northern channel on Tuesday, harbour master Ana Ruiz said.</p>
<p>Work will start in May and cost 12 million euros, according to the authority's budget documents.</p>
<p>Fishermen's groups asked for the work to pause during the spawning season in June and July.</p>
</article></body></html>"""

SECOND = PAGE.replace("Harbour dredging approved", "Ferry line to Vigo reopens").replace(
    "dredging of the northern channel", "reopening of the ferry line to Vigo").replace("12 million", "3 million")


def feed(base: str) -> str:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Port Gazette</title>
<item><title>Ferry line</title><link>{base}/second</link><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate></item>
<item><title>Broken item without a link</title></item>
<item><title>Evil</title><link>javascript:alert(1)</link></item>
<item><title>Gone</title><link>{base}/missing</link></item>
</channel></rss>"""


class Handler(BaseHTTPRequestHandler):
    agents: list[str] = []

    def log_message(self, *args):
        pass

    def _send(self, code, ctype, body: bytes, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        Handler.agents.append(self.headers.get("User-Agent", ""))
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        routes = {
            "/article": ("text/html; charset=utf-8", PAGE.encode()),
            "/second": ("text/html; charset=utf-8", SECOND.encode()),
            "/image.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            "/huge": ("text/html", b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>"),
            "/feed.xml": ("application/rss+xml", feed(base).encode()),
            "/not-a-feed": ("text/plain", b"just words"),
        }
        if self.path in ("/trickle", "/trickle-feed"):
            return self._trickle()
        if self.path.startswith("/long-feed"):
            items = "".join(f"<item><title>Story {i}</title><link>{base}/story/{i}</link></item>" for i in range(120))
            return self._send(200, "application/rss+xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>Long</title>{items}</channel></rss>'.encode())
        if self.path.startswith("/story/"):
            n = self.path.rsplit("/", 1)[1]
            body = PAGE.replace("Harbour dredging approved", f"Harbour story number {n}").replace("12 million", f"{n} million")
            return self._send(200, "text/html; charset=utf-8", body.encode())
        if self.path == "/moved":
            self._send(301, "text/html", b"", [("Location", "/article")])
        elif self.path == "/to-file":
            self._send(302, "text/html", b"", [("Location", "file:///etc/passwd")])
        elif self.path in routes:
            self._send(200, *routes[self.path])
        else:
            self._send(404, "text/html", b"<h1>not found</h1>")


    def _trickle(self):
        """A server that never stalls long enough for a per-read timeout: one byte every 0.2 s."""
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(100):  # 20 s at most, then the handler thread ends
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_follows_redirects_with_our_user_agent(site):
    f = fetch(f"{site}/moved", timeout=5, max_bytes=1_000_000)
    assert f.url.endswith("/article") and f.content_type == "text/html"
    assert Handler.agents[-1] == USER_AGENT


@pytest.mark.parametrize("path, reason", [
    ("/missing", "HTTP 404"),
    ("/huge", "over 0.1 MB"),
    ("/to-file", "non-http(s) address"),
])
def test_fetch_failures_are_one_line(site, path, reason):
    with pytest.raises(IngestError) as exc:
        fetch(f"{site}{path}", timeout=5, max_bytes=100_000)
    assert reason in str(exc.value) and "\n" not in str(exc.value)


def test_only_http_addresses_are_fetched():
    for bad in ("file:///etc/passwd", "ftp://example.org/a", "javascript:alert(1)"):
        with pytest.raises(IngestError, match="only http"):
            fetch(bad, timeout=1, max_bytes=10)


def test_pages_and_feeds_ingest_and_each_failure_is_one_line(site):
    read = web_articles([f"{site}/article", f"{site}/image.png", f"{site}/not-there"],
                        [f"{site}/feed.xml", f"{site}/not-a-feed"], known_url=lambda u: False,
                        timeout=5, max_bytes=1_000_000)
    arts, errors, stored = read.articles, read.errors, read.stored
    titles = sorted(a.title for a in arts)
    assert titles == ["Ferry line to Vigo reopens", "Harbour dredging approved"]
    page = next(a for a in arts if a.title.startswith("Harbour"))
    assert "Ana Ruiz" in page.text and "alert" not in page.text  # scripts are not article text
    assert page.url == f"{site}/article" and page.key == page.url and page.path == ""
    assert page.published_at == "2024-03-05" and page.source == "Port Gazette"
    reasons = sorted(str(e) for e in errors)
    assert len(reasons) == 6, reasons
    assert any("/not-a-feed: is not an RSS or Atom feed" in r for r in reasons)
    assert any("image/png, not an HTML page" in r for r in reasons)
    assert any("/not-there: HTTP 404" in r for r in reasons)
    assert any("item 2: has no http(s) link" in r for r in reasons)
    assert any("item 3: has no http(s) link" in r for r in reasons)  # javascript: link never fetched
    assert any("/missing: HTTP 404" in r for r in reasons)
    assert not stored
    assert all("\n" not in r for r in reasons)


def test_cli_ingests_urls_and_feeds_and_skips_what_is_stored(site, tmp_path):
    p = rag_cli(["ingest", f"{site}/article", "--feed", f"{site}/feed.xml", "--json"], tmp_path / "data")
    report = json.loads(p.stdout)
    assert len(report["added"]) == 2
    assert {e["file"] for e in report["errors"]} >= {f"{site}/feed.xml item 2", f"{site}/missing"}
    again = rag_cli(["ingest", f"{site}/article", "--feed", f"{site}/feed.xml", "--json"], tmp_path / "data")
    second = json.loads(again.stdout)
    assert second["added"] == [] and second["unchanged"] == 2  # both addresses already stored, not fetched again
    asked = rag_cli(["ask", "Who is the harbour master?", "--json"], tmp_path / "data")
    answer = json.loads(asked.stdout)
    assert answer["citations"][0]["url"] == f"{site}/article"
    bad = rag_cli(["ingest", "ftp://example.org/x"], tmp_path / "data", check=False)
    assert bad.returncode == 2 and "only http:// and https://" in bad.stderr
    watch = rag_cli(["watch", f"{site}/feed.xml", "--once"], tmp_path / "data")
    assert "added 0" in watch.stdout and "unchanged 1" in watch.stdout
    interval = rag_cli(["watch", f"{site}/feed.xml", "--every", "soon"], tmp_path / "data", check=False)
    assert interval.returncode != 0 and "--every 'soon' is not an interval" in interval.stderr


def test_library_tab_fetches_pages_and_feeds(site, page):
    """In a real browser: addresses pasted in the Library tab are fetched; each gets a result row."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Library").click()
    page.locator("#addresses textarea").fill(f"{site}/article\n{site}/image.png")
    page.locator("#fetch-btn").click()
    results = page.locator("#ingest-results")
    expect(results).to_contain_text("added", timeout=90_000)
    expect(results).to_contain_text("not an HTML page")
    expect(page.locator("#articles-table")).to_contain_text("Harbour dredging approved")
    page.locator("#addresses textarea").fill(f"{site}/feed.xml")
    page.locator("#as-feeds input").check()
    page.locator("#fetch-btn").click()
    expect(results).to_contain_text("Ferry line to Vigo reopens", timeout=90_000)
    expect(results).to_contain_text("has no http(s) link")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "library-fetch-1280x800.png"))


def test_a_ui_others_can_reach_does_not_fetch_local_addresses(site, make_corpus):
    """SSRF guard: bound beyond loopback, the Library fetch refuses loopback/private hosts (redirects too)."""
    from ui.handlers import App

    with pytest.raises(IngestError, match="local or private address"):
        fetch(f"{site}/article", timeout=5, max_bytes=100_000, public_only=True)
    corpus = make_corpus()
    shared = App(corpus.settings, corpus, host="0.0.0.0")
    rows = shared.api_ingest_addresses(f"{site}/article")
    assert rows == [[f"{site}/article", "error", rows[0][2]]] and "local or private address (127.0.0.1)" in rows[0][2]
    assert corpus.catalog.is_empty()
    local = App(corpus.settings, corpus, host="127.0.0.1")
    assert local.api_ingest_addresses(f"{site}/article")[0][1] == "added"


def test_a_trickling_server_is_cut_off_at_the_total_deadline(site, make_corpus, tmp_path, monkeypatch):
    """Pages, feeds, the CLI and the UI's fetch all stop at RAG_FETCH_TIMEOUT, however steadily bytes arrive."""
    from ui.handlers import App

    for path in ("/trickle", "/trickle-feed"):
        t0 = time.monotonic()
        with pytest.raises(IngestError, match=r"not received within 1\.5 s"):
            fetch(f"{site}{path}", timeout=1.5, max_bytes=1_000_000)
        assert time.monotonic() - t0 < 4
    t0 = time.monotonic()
    read = web_articles([], [f"{site}/trickle-feed"], known_url=lambda u: False, timeout=1.5, max_bytes=1_000_000)
    assert "not received within" in str(read.errors[0]) and time.monotonic() - t0 < 4
    corpus = make_corpus(tmp_path / "ui", fetch_timeout=1.5)
    t0 = time.monotonic()
    rows = App(corpus.settings, corpus).api_ingest_addresses(f"{site}/trickle")
    assert rows[0][1] == "error" and "not received within 1.5 s" in rows[0][2] and time.monotonic() - t0 < 4
    monkeypatch.setenv("RAG_FETCH_TIMEOUT", "1.5")
    t0 = time.monotonic()
    p = run(["ingest", "--feed", f"{site}/trickle-feed"], tmp_path, check=False)
    assert p.returncode == 2 and "not received within 1.5 s" in p.stderr
    assert time.monotonic() - t0 < 30  # the CLI's own start-up included


def test_a_long_feed_reads_max_items_with_a_line_per_page(site, tmp_path):
    read = web_articles([], [f"{site}/long-feed"], known_url=lambda u: False, timeout=5, max_bytes=1_000_000, max_items=4)
    assert len(read.articles) == 4 and "lists 120 items; read the first 4" in read.notices[0]
    p = run(["ingest", "--feed", f"{site}/long-feed", "--max-items", "3"], tmp_path)
    lines = [x for x in p.stderr.splitlines() if "/story/" in x]
    assert [x.split()[0] for x in lines] == ["[1/3]", "[2/3]", "[3/3]"] and all(x.endswith("fetched") for x in lines)
    assert "lists 120 items; read the first 3" in p.stderr and "added 3" in p.stdout
    again = run(["ingest", "--feed", f"{site}/long-feed", "--max-items", "3"], tmp_path)
    assert again.stderr.count("already stored") == 3
    assert run(["ingest", "--feed", f"{site}/long-feed", "--max-items", "0"], tmp_path, check=False).returncode != 0
