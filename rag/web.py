"""Articles from the web: pages by URL and items of RSS/Atom feeds, fetched politely and read as data.

    web_articles(urls, feeds, known_url) -> WebRead (articles, errors, addresses already stored, notices)
    ingest_web(corpus, urls, feeds, paths=()) -> IngestReport (pages, feed items and files in one ingest)

* Only http(s) addresses are fetched, redirects included (at most MAX_REDIRECTS, each checked).
* Every fetch has a total deadline (connect, redirects and all reads together; RAG_FETCH_TIMEOUT), a
  size limit (the body is streamed and cut off past it) and a user agent that says what we are.
* A feed is read up to its first `max_items` items (RAG_FEED_MAX_ITEMS, `--max-items`); a longer feed
  gets a notice saying how many it lists.
* Pages: main text and metadata by trafilatura (the same reader as saved .html files); a response that
  is not HTML is an error naming the URL and the content type.
* Feeds: parsed by feedparser; each item's link is fetched as a page; an item without a usable link
  is one error, the rest of the feed is still read.
* `public_only` (the UI when others can reach it) refuses hosts that resolve to loopback, private,
  link-local or reserved addresses, checked again on every redirect, so the app cannot be used to read
  the machine's own or its network's services.
* An address already stored (`known_url`) is not fetched again; a page whose text is already stored
  is skipped by the ingest step (content hash).
* Each failure is one `IngestError` line naming the URL and the fix; nothing fetched is ever run or served.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable, Iterable

from importlib.metadata import PackageNotFoundError, version
from .errors import IngestError
from .loaders import Article, decode_bytes, load_html, mb
from .safe import first_internal_address, safe_url

try:
    _VERSION = version("news-rag")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "dev"
USER_AGENT = f"news-rag/{_VERSION} (article ingest; one request per article)"
MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
              "application/feed+json", "text/html")  # some servers label feeds text/html; feedparser decides


@dataclasses.dataclass
class Fetched:
    """One response body, cut at the size limit."""

    url: str  # after redirects
    content_type: str
    body: bytes


def _check_public(url: str, original: str) -> None:
    """Refuse an address whose host resolves to a loopback, private, link-local or reserved IP."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    try:
        ip = first_internal_address(host)
    except OSError:
        raise IngestError(original, f"cannot resolve {host!r}; check the address and the network") from None
    if ip:
        raise IngestError(original, f"points to a local or private address ({ip}); a shared UI only fetches public sites")


def fetch(url: str, timeout: float, max_bytes: int, public_only: bool = False) -> Fetched:
    """GET an http(s) URL with our user agent, a total deadline and a size limit (raises IngestError).

    `timeout` bounds the whole fetch (connects, redirects and every read together), so a server that
    trickles one byte a second is cut off like one that never answers. `public_only` (a UI others
    can reach) also refuses hosts on loopback/private networks, redirects included.
    """
    if not safe_url(url):
        raise IngestError(url, "only http:// and https:// addresses can be fetched")
    deadline = time.monotonic() + timeout
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["fetched"] = _fetch(url, timeout, deadline, max_bytes, public_only)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    # The fetch runs in its own thread so the caller gets its answer at the deadline even while a
    # read is blocked; the abandoned thread ends by itself, at most one read timeout later.
    worker = threading.Thread(target=work, name="rag-fetch", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    if worker.is_alive():
        raise _late(url, timeout)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["fetched"]  # type: ignore[return-value]


def _late(url: str, timeout: float) -> IngestError:
    return IngestError(url, f"not received within {timeout:g} s (connect and all reads together); "
                            "try again later or raise RAG_FETCH_TIMEOUT")


def _fetch(url: str, timeout: float, deadline: float, max_bytes: int, public_only: bool) -> Fetched:
    import httpx

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _late(url, timeout)
        return remaining

    current = url
    try:
        with httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT}) as client:
            for _ in range(MAX_REDIRECTS + 1):
                if public_only:
                    _check_public(current, url)
                with client.stream("GET", current, timeout=left()) as resp:
                    if resp.is_redirect:
                        nxt = str(resp.url.join(resp.headers.get("location", "")))
                        if not safe_url(nxt):
                            raise IngestError(url, f"redirects to a non-http(s) address ({nxt[:80]}); not followed")
                        current = nxt
                        continue
                    if resp.status_code >= 400:
                        raise IngestError(url, f"HTTP {resp.status_code} {resp.reason_phrase}; check the address")
                    body = bytearray()
                    for part in resp.iter_bytes():
                        body += part
                        left()
                        if len(body) > max_bytes:
                            raise IngestError(url, f"response is over {mb(max_bytes)}; "
                                                   "raise RAG_MAX_FILE_MB or save the article text to a file")
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    return Fetched(str(resp.url), ctype, bytes(body))
            raise IngestError(url, f"more than {MAX_REDIRECTS} redirects; give the final address")
    except httpx.TimeoutException:
        raise _late(url, timeout) from None
    except httpx.HTTPError as exc:
        raise IngestError(url, f"cannot fetch ({type(exc).__name__}: {exc}); check the address and the network") from None


def page_article(url: str, timeout: float, max_bytes: int, fallback: dict | None = None, public_only: bool = False) -> Article:
    """The article at an http(s) URL (main text and metadata by trafilatura)."""
    f = fetch(url, timeout, max_bytes, public_only)
    if f.content_type and f.content_type not in HTML_TYPES:
        raise IngestError(url, f"is {f.content_type}, not an HTML page; give the article's web page")
    art = load_html(decode_bytes(f.body, f.url), url, url)
    extra = fallback or {}
    # A stored web article is keyed by its address (an edited page replaces the old text) and has no
    # file path, so `rag ingest --prune` never removes it.
    return dataclasses.replace(
        art, id="", path="", key=f.url, url=safe_url(art.url) or f.url,
        title=art.title if art.title and art.title != url else (extra.get("title") or art.title),
        source=art.source or extra.get("source", ""), published_at=art.published_at or extra.get("published_at", ""))


def feed_entries(feed_url: str, timeout: float, max_bytes: int, public_only: bool = False,
                 max_items: int = 50) -> tuple[list[dict], list[IngestError], int]:
    """The first `max_items` items of an RSS/Atom feed as {link, title, source, published_at}, one error
    per broken item among them, and how many items the feed holds."""
    import feedparser

    from .dates import parse_date

    f = fetch(feed_url, timeout, max_bytes, public_only)
    parsed = feedparser.parse(f.body)
    if not parsed.entries and (parsed.bozo or f.content_type not in FEED_TYPES):
        raise IngestError(feed_url, "is not an RSS or Atom feed; give the feed's address (often /feed or /rss)")
    site = (parsed.feed.get("title") or "").strip()
    items, errors = [], []
    for i, entry in enumerate(parsed.entries[:max_items], 1):
        link = (entry.get("link") or "").strip()
        if not safe_url(link):
            errors.append(IngestError(f"{feed_url} item {i}", "has no http(s) link; skipped"))
            continue
        try:
            published = parse_date(entry.get("published") or entry.get("updated") or "")
        except ValueError:
            published = ""
        items.append({"link": link, "title": (entry.get("title") or "").strip(), "source": site, "published_at": published})
    return items, errors, len(parsed.entries)


@dataclasses.dataclass
class WebRead:
    """What reading some pages and feeds gave: articles, errors, addresses already stored, notices."""

    articles: list[Article] = dataclasses.field(default_factory=list)
    errors: list[IngestError] = dataclasses.field(default_factory=list)
    stored: list[str] = dataclasses.field(default_factory=list)
    notices: list[str] = dataclasses.field(default_factory=list)


def web_articles(urls: Iterable[str], feeds: Iterable[str], known_url: Callable[[str], bool], timeout: float = 20.0,
                 max_bytes: int = 20 * 1024 * 1024, progress: Callable[[str, int, int], None] | None = None,
                 public_only: bool = False, max_items: int = 50, say: Callable[[str], None] | None = None) -> WebRead:
    """Fetch page URLs and the first `max_items` items of each feed; `say` gets one line per page."""
    read = WebRead()
    todo: list[tuple[str, dict]] = [(u, {}) for u in urls]
    for feed in feeds:
        try:
            items, bad, total = feed_entries(feed, timeout, max_bytes, public_only, max_items)
        except IngestError as exc:
            read.errors.append(exc)
            continue
        read.errors.extend(bad)
        todo.extend((it["link"], it) for it in items)
        if total > max_items:
            read.notices.append(f"{feed}: the feed lists {total} items; read the first {max_items} "
                                "(raise --max-items or RAG_FEED_MAX_ITEMS to read more)")
    seen: set[str] = set()
    for i, (url, meta) in enumerate(todo, 1):
        if progress:
            progress("fetching", i - 1, len(todo))
        if url in seen:
            continue
        seen.add(url)
        if known_url(url):
            read.stored.append(url)
            outcome = "already stored"
        else:
            try:
                read.articles.append(page_article(url, timeout, max_bytes, meta, public_only))
                outcome = "fetched"
            except IngestError as exc:
                read.errors.append(exc)
                outcome = f"error ({exc.reason})"
        if say:
            say(f"[{i}/{len(todo)}] {url} {outcome}")
    return read


def ingest_web(corpus, urls: Iterable[str], feeds: Iterable[str], paths: Iterable[str] = (),
               progress: Callable[[str, int, int], None] | None = None, public_only: bool = False,
               max_items: int | None = None, say: Callable[[str], None] | None = None, **options):
    """Fetch pages and feed items, then ingest them (with any files) in one run; returns the IngestReport."""
    from .ingest import ingest

    urls, feeds = list(urls), list(feeds)
    read = WebRead()
    if urls or feeds:
        s = corpus.settings
        read = web_articles(urls, feeds, corpus.catalog.has_url, s.fetch_timeout, s.max_file_bytes, progress,
                            public_only, max_items or s.feed_max_items, say)
    report = ingest(corpus, list(paths), progress=progress, articles=read.articles, **options)
    report.errors[:0] = read.errors
    report.warnings[:0] = read.notices
    report.unchanged.extend({"id": "", "title": "", "origin": url} for url in read.stored)
    return report
