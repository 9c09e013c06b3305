"""Following a story: a saved briefing, then only what is new since, from a feed watched on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag import Corpus, Settings, ingest
from rag.briefing import Briefing, Point
from rag.errors import RagError
from rag import story

from .conftest import rag_cli


def run(args: list[str], tmp_path, check: bool = True):
    return rag_cli(args, tmp_path / "data", check)

STORIES = {
    "dredging": ("Harbour dredging approved", "2024-03-05",
                 "The port authority approved the dredging of the northern channel on Tuesday, harbour master Ana Ruiz said. "
                 "The harbour dredging will cost 12 million euros, according to the authority's budget documents."),
    "fishermen": ("Fishermen object to harbour dredging", "2024-03-06",
                  "Fishermen's groups asked for the harbour dredging to pause during the spawning season in June and July. "
                  "Their association said the dredging of the northern channel threatens the sardine catch."),
    "barges": ("Dredging barges arrive in the harbour", "2024-03-20",
               "Two dredging barges from Rotterdam arrived in the harbour on Monday to start the dredging of the northern channel. "
               "The crews will work in shifts through the night, the port authority said."),
    "cost": ("Harbour dredging bill rises", "2024-03-21",
             "The harbour dredging will cost 15 million euros after the survey found more silt, the port authority said. "
             "The authority blamed the survey of the northern channel for the higher bill."),
}


class Feed(BaseHTTPRequestHandler):
    published: list[str] = ["dredging", "fishermen"]

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/feed.xml":
            items = "".join(f"<item><title>{STORIES[k][0]}</title><link>{base}/{k}</link></item>" for k in Feed.published)
            body, ctype = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Port Gazette</title>{items}</channel></rss>', \
                "application/rss+xml"
        elif self.path.strip("/") in STORIES:
            title, day, text = STORIES[self.path.strip("/")]
            body = (f"<!doctype html><html><head><title>{title}</title><meta property='og:site_name' content='Port Gazette'>"
                    f"<meta name='date' content='{day}'></head><body><article><h1>{title}</h1>"
                    + "".join(f"<p>{s}.</p>" for s in text.rstrip(".").split(". ")) + "</article></body></html>")
            ctype = "text/html; charset=utf-8"
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def site():
    Feed.published = ["dredging", "fishermen"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_watched_feed_diff_lists_exactly_the_new_items_points(site, tmp_path):
    first = run(["watch", f"{site}/feed.xml", "--once"], tmp_path)
    assert "added 2" in first.stdout, first.stdout
    saved = run(["brief", "harbour dredging", "--save", "port", "--offline"], tmp_path)
    assert "saved as 'port'" in saved.stderr
    nothing = run(["brief", "--since-last", "port", "--offline"], tmp_path)
    assert "Nothing new on this topic since “port”" in nothing.stdout  # said plainly, no old points re-listed
    Feed.published += ["barges", "cost"]  # the feed grows between two runs of the watcher
    second = run(["watch", f"{site}/feed.xml", "--once"], tmp_path)
    assert "added 2" in second.stdout, second.stdout
    diff = json.loads(run(["brief", "--since-last", "port", "--offline", "--json"], tmp_path).stdout)
    assert diff["added"] == 2 and diff["on_topic"] == 2
    by_n = {s["n"]: s for s in diff["sources"]}
    new_cites = {by_n[n]["url"] for t in diff["new"] for p in t["points"] for n in p["citations"]}
    new_cites |= {by_n[n]["url"] for p in diff["new_events"] for n in p["citations"]}
    assert new_cites == {f"{site}/barges", f"{site}/cost"}  # the new items' points, and only theirs
    assert not any(s.get("earlier") for n in {n for t in diff["new"] for p in t["points"] for n in p["citations"]} for s in [by_n[n]])
    shown = run(["brief", "--since-last", "port", "--offline"], tmp_path).stdout
    assert shown.index("## New") < shown.index("## Changed since") < shown.index("## Said before, not repeated since")
    bad = run(["brief", "--since-last", "nope", "--offline"], tmp_path, check=False)
    assert bad.returncode == 1 and "no briefing saved as 'nope' (saved: port)" in bad.stderr
    bad = run(["brief", "x", "--save", "../etc"], tmp_path, check=False)
    assert bad.returncode == 1 and "is not usable" in bad.stderr


def test_a_changed_figure_is_shown_with_the_old_and_the_new_citation(tmp_path, embedder):
    corpus = Corpus(Settings(data_dir=tmp_path / "data"), embedder=embedder)
    folder = tmp_path / "articles"
    folder.mkdir()

    def write(key: str) -> None:
        title, day, text = STORIES[key]
        (folder / f"{key}.json").write_text(json.dumps({"title": title, "text": text, "source": "Port Gazette", "published_at": day}))

    write("dredging")
    ingest(corpus, [str(folder)])
    art = corpus.catalog.articles()[0]
    cost = "The harbour dredging will cost 12 million euros, according to the authority's budget documents."
    start = art.text.index(cost)
    record = {"n": 1, "article_id": art.id, "title": art.title, "source": art.source, "published_at": art.published_at,
              "url": "", "quote": cost, "start": start, "end": start + len(cost)}
    saved = Briefing("harbour dredging", "1 article", key_points=[("Cost", [Point(cost, [1])])], sources=[record])
    story.save(corpus, "cost", saved)
    write("cost")
    ingest(corpus, [str(folder)])
    diff = story.since_last(corpus, "cost")
    assert diff.added == 1 and diff.on_topic == 1 and len(diff.changed) == 1
    then, now = diff.changed[0]
    assert now.label == "amount: 12 million euros vs 15 million euros"
    cited = {s["n"]: s for s in diff.sources}
    assert cited[then.cites[0]]["quote"] == cost and cited[then.cites[0]].get("earlier")
    assert "15 million euros" in cited[now.cites[0]]["quote"] and not cited[now.cites[0]].get("earlier")
    assert diff.not_repeated == []  # the point is contradicted, not silently dropped
    md = diff.markdown()
    assert "then:" in md and "now:" in md and "(earlier briefing)" in md
    with pytest.raises(RagError, match="is not usable"):
        story.save(corpus, "a/b", saved)
