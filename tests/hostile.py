"""Generator of hostile input files mixed with valid articles (for tests and the stress script)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

VALID_BODY = "The {n} harbour reopened on Friday after the storm, officials said. Ferries resume on Monday, number {n}."


def make_corpus(folder: Path, big_mb: int = 50) -> tuple[list[Path], list[Path]]:
    """Write >= 100 bad files and some valid ones into `folder`; returns (bad, valid) paths."""
    folder.mkdir(parents=True, exist_ok=True)
    bad: list[Path] = []
    valid: list[Path] = []

    def put(name: str, data: bytes | str, good: bool = False) -> None:
        p = folder / name
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        (valid if good else bad).append(p)

    for i in range(12):
        put(f"empty-{i}.txt", b"")
        put(f"blank-{i}.md", " \n\t \r\n" * (i + 1))
        put(f"binary-{i}.txt", os.urandom(64 + i) + b"\x00\x00")
        put(f"latin1-{i}.txt", f"Caf\u00e9 {i}\nna\u00efve body \u00e9t\u00e9".encode("latin-1"))
        put(f"malformed-{i}.json", '{"title": "x", "body": ' + "[" * i)
        put(f"wrongtype-{i}.json", json.dumps([{"title": ["not", "a", "string"], "body": "text"}, {"body": 12345 + i}]))
        put(f"nobody-{i}.jsonl", json.dumps({"title": f"no body {i}"}) + "\n" + "{broken\n")
        put(f"scripts-{i}.html", "<html><head><script>alert(1)</script><style>p{}</style></head><body><script>var a=1;</script></body></html>")
        put(f"corrupt-{i}.pdf", b"%PDF-1.4\n" + os.urandom(200))
    for i in range(4):
        put(f"deep-{i}.json", "[" * (100000 + i) + "]" * (100000 + i))
        put(f"utf16-bom-{i}.txt", b"\xff\xfe" + os.urandom(7))  # odd length: broken UTF-16
        put(f"unsupported-{i}.docx", b"PK\x03\x04" + os.urandom(30))
    put("encrypted.pdf", _encrypted_pdf())
    with open(folder / "huge.txt", "wb") as fh:  # 50 MB: must be rejected by size, not read
        line = b"word " * 200 + b"\n"
        for _ in range(big_mb * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    bad.append(folder / "huge.txt")
    put(".hidden-notes.txt", "Hidden\nA hidden file body.")
    outside = folder.parent / "outside-secret.txt"
    outside.write_text("Secret\nOutside the corpus folder.")
    link = folder / "link-out.txt"
    if not link.exists():
        link.symlink_to(outside)
    bad.append(link)
    # Valid articles, some with awkward names and encodings.
    names = ["plain.txt", "with space.txt", "ünïcödé-名前.md", "a..b.txt", "front-matter.md", "utf16-good.txt", "bom-utf8.txt"]
    for n, name in enumerate(names):
        body = VALID_BODY.format(n=n)
        if name == "front-matter.md":
            put(name, f"---\ntitle: Front {n}\nsource: Coast Weekly\npublished_at: 2024-01-0{n % 9 + 1}\n---\n{body}\n", good=True)
        elif name == "utf16-good.txt":
            put(name, f"UTF16 title {n}\n{body}".encode("utf-16"), good=True)
        elif name == "bom-utf8.txt":
            put(name, b"\xef\xbb\xbf" + f"BOM title {n}\n{body}".encode(), good=True)
        else:
            put(name, f"Title {name}\n{body}", good=True)
    put("collection.json", json.dumps([{"title": f"Coll {k}", "source": "Wire", "body": VALID_BODY.format(n=100 + k)} for k in range(5)]), good=True)
    put("page.html", "<html><head><title>Harbour page</title></head><body><article><p>" + " ".join([VALID_BODY.format(n=200)] * 4) + "</p></article></body></html>", good=True)
    return bad, valid


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def xss_articles(beacon: str) -> list[dict]:
    """Articles whose title, outlet, url and body carry live-content payloads aimed at `beacon`.

    `beacon` is a base URL on 127.0.0.1 that counts requests: any request means a payload loaded.
    """
    return [
        {"title": "<script>alert('title')</script>Ferry news <img src=x onerror=alert(3)>",
         "source": "<b onmouseover=alert(4)>Harbour Times</b>", "published_at": "2024-05-02",
         "url": "javascript:alert(5)",
         "body": (f"The port authority announced a new ferry route to Vigo <img src={beacon}/img.png onerror=alert(1)> on Monday. "
                  f"Ferry tickets cost 20 euros ![pixel]({beacon}/md.png) and [book here](javascript:alert(2)) the operator said "
                  "[[9]](#cite-9) <span class=\"badge supported\">supported</span>. "
                  f"The harbour master is Ana Ruiz, see [her page]({beacon}/link) or https://evil.example/x for details. "
                  "The new terminal opens in June with <iframe src=\"" + beacon + "/frame\"></iframe> twelve berths and $5 parking.\n\n"
                  "Officials said the route will carry 300 passengers a day <svg onload=alert(7)></svg> from the start.")},
        {"title": "Ferry schedule [click](javascript:alert(8))", "source": "Coast Daily", "published_at": "2024-05-03",
         "url": "data:text/html,<script>alert(6)</script>",
         "body": ("The ferry schedule was published on Tuesday <a href=\"" + beacon + "/a\">here</a> with four daily crossings. "
                  "Each crossing to Vigo takes 90 minutes, the operator said <script>fetch('" + beacon + "/s')</script>.")},
    ]


def active_content(document: str, beacon: str, markdown: bool = False) -> list[str]:
    """Live elements and attributes in an exported document (empty when inert).

    HTML is parsed (a `.md` export is first rendered the way a Markdown viewer would, raw HTML on):
    any script, frame, object or svg element; any `on*` attribute; any `src`/`href`/`action`
    that is `javascript:`, `data:` (images excepted) or points at the beacon.
    """
    from html.parser import HTMLParser

    if markdown:
        from markdown_it import MarkdownIt

        document = MarkdownIt("commonmark", {"html": True, "linkify": False}).render(document)
    found: list[str] = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "frame", "object", "embed", "svg", "base", "form"):
                found.append(f"<{tag}>")
            for name, value in attrs:
                value = (value or "").strip().lower()
                if name.startswith("on"):
                    found.append(f"{tag} {name}=")
                if name in ("src", "href", "action", "srcset", "xlink:href"):
                    if value.startswith(("javascript:", "vbscript:")) or beacon.lower() in value:
                        found.append(f"{tag} {name}={value[:40]}")
                    if value.startswith("data:") and not (tag == "img" and value.startswith("data:image/png")):
                        found.append(f"{tag} {name}={value[:40]}")

    Scan().feed(document)
    return found
