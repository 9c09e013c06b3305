"""Loaders: files and directories -> `Article` records, with one-line errors for bad input.

Supported: .txt/.md (optional YAML front matter), .html/.htm (main text via trafilatura),
.pdf (pypdf), .json (an array of article objects, one object, or {"articles": [...]}) and
.jsonl (one object per line). Article objects use the fields
title, source, author, published_at, url, body.

A bad file or record never stops the others: `load_paths` returns the articles it could read
and a list of `IngestError`s, each naming the file (and record) and what to do about it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .dates import parse_date
from .errors import IngestError
from .safe import safe_url
from .text import normalise

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".json", ".jsonl")


@dataclass
class Article:
    """One news article. `text` is the body exactly as loaded; citations index into it."""

    title: str
    text: str
    source: str = ""
    author: str = ""
    published_at: str = ""  # ISO date (YYYY-MM-DD) or "" when unknown
    url: str = ""
    origin: str = ""  # where it came from: file path, plus "#n" for a record of a collection
    key: str = ""  # stable identity of the origin, used to spot an edited article
    path: str = ""  # absolute path of the file it came from (for --prune)
    id: str = field(default="")
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)  # not stored

    def __post_init__(self) -> None:
        if not self.id:
            self.id = article_id(self.text, self.url)
        if not self.key:
            self.key = self.url or self.origin or self.id


def article_id(text: str, url: str = "") -> str:
    """Content-derived id: the same normalised body (and url) always gives the same id."""
    digest = hashlib.sha256((normalise(text) + "\n" + (url or "").strip()).encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass
class LoadResult:
    """Articles read from some paths, and the errors met on the way."""

    articles: list[Article] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def iter_files(paths: Iterable[str | os.PathLike], errors: list[IngestError]) -> list[Path]:
    """Expand paths (files or directories, walked recursively) into a sorted list of files."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            root = p.resolve()
            for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name in (".DS_Store", ".gitkeep", "SOURCE.md", "README.md"):
                        continue  # folder notes and OS litter, not articles
                    if name.startswith("."):
                        errors.append(IngestError(str(Path(dirpath) / name), "hidden file skipped; rename it without the leading dot to ingest it"))
                        continue
                    fp = Path(dirpath) / name
                    if fp.is_symlink():
                        target = fp.resolve()
                        if root not in target.parents:
                            errors.append(IngestError(str(fp), "symlink points outside the folder being ingested; copy the file in instead"))
                            continue
                    files.append(fp)
        elif p.exists():
            files.append(p)
        else:
            errors.append(IngestError(str(p), "no such file or directory; check the path"))
    return files


def load_paths(paths: Iterable[str | os.PathLike], max_bytes: int = 20 * 1024 * 1024) -> LoadResult:
    """Load every supported file under `paths`; never raises for a bad file."""
    result = LoadResult()
    for fp in iter_files(paths, result.errors):
        result.files.append(str(fp))
        try:
            arts, record_errors = load_file(fp, max_bytes=max_bytes)
        except IngestError as exc:
            result.errors.append(exc)
            continue
        except Exception as exc:  # a loader library failing on hostile input is still one line
            result.errors.append(IngestError(str(fp), f"could not be read ({type(exc).__name__}: {exc})"[:300]))
            continue
        result.articles.extend(arts)
        result.errors.extend(record_errors)
    return result


def mb(n: int) -> str:
    """Bytes as the MB the size settings use (MiB: RAG_MAX_FILE_MB=20 is 20 * 2**20 bytes)."""
    return f"{n / 2**20:.1f}".removesuffix(".0") + " MB"


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file, read at most `max_bytes` (+1) of them; raises IngestError otherwise.

    The size a file reports is not trusted: devices, FIFOs and sockets (also behind a symlink)
    report 0 and never end, so only regular files are opened (without blocking), and the read
    itself stops past the limit.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise IngestError(str(p), f"cannot be read ({exc.strerror}); check the path and its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
        raise IngestError(str(p), f"is {kind}, not a regular file; save the article to a file and ingest that")
    limit = f"over the {mb(max_bytes)} limit; split it or raise RAG_MAX_FILE_MB"
    if st.st_size > max_bytes:
        raise IngestError(str(p), f"file is {mb(st.st_size)}, {limit}")
    try:
        # O_NONBLOCK: a file swapped for a FIFO after the check above cannot hang the open.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise IngestError(str(p), f"cannot be read ({exc.strerror}); check the path and its permissions") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise IngestError(str(p), "changed into something other than a regular file while being read; ingest it again")
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise IngestError(str(p), f"file grew past the limit while being read: {limit}")
    return raw


def load_file(path: str | os.PathLike, max_bytes: int = 20 * 1024 * 1024) -> tuple[list[Article], list[IngestError]]:
    """Load one file into articles; raises IngestError when the whole file is unusable."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise IngestError(str(p), f"unsupported file type {ext or '(none)'!r}; use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    raw = read_regular(p, max_bytes)
    if not raw.strip():
        raise IngestError(str(p), "file is empty; add the article text or remove the file")
    origin = str(p)
    base = str(p.resolve())  # identity of the file, whatever the working directory
    if ext == ".pdf":
        return [_load_pdf(raw, origin, base)], []
    text = decode_bytes(raw, origin)
    if not text.strip():
        raise IngestError(origin, "file holds only whitespace; add the article text or remove the file")
    if ext in (".html", ".htm"):
        return [load_html(text, origin, base)], []
    if ext == ".json":
        return _load_json(text, origin, base)
    if ext == ".jsonl":
        return _load_jsonl(text, origin, base)
    return [_load_text(text, origin, base)], []


def decode_bytes(raw: bytes, origin: str) -> str:
    """Bytes of a file or web page as text (UTF-8, its BOMs, or the declared/detected encoding)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError(origin, "broken UTF-16 text; re-save the file as UTF-8") from None
    if b"\x00" in raw[:8192]:
        raise IngestError(origin, "looks like a binary file, not text; convert it to .txt/.pdf/.html first")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(origin, f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8") from None


def _load_text(text: str, origin: str, base: str) -> Article:
    meta: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            import yaml

            try:
                meta = yaml.safe_load(text[3:end]) or {}
            except yaml.YAMLError as exc:
                raise IngestError(origin, f"invalid YAML front matter ({str(exc).splitlines()[0]}); fix or remove it") from None
            if not isinstance(meta, dict):
                raise IngestError(origin, "front matter must be a YAML mapping of title/source/author/published_at/url")
            nl = text.find("\n", end + 4)
            body = text[nl + 1:] if nl >= 0 else ""
    title = str(meta.get("title") or "").strip()
    if not title:
        # No front-matter title: the first non-empty line is the title, the rest the body.
        stripped = body.lstrip()
        first, _, rest = stripped.partition("\n")
        title = first.strip().lstrip("#").strip()
        body = rest if rest.strip() else stripped
    body = body.strip("\n")
    if not body.strip():
        raise IngestError(origin, "no article body after the title; add text below the first line")
    return _article(origin, title, body, meta, base)


def _article(origin: str, title: str, body: str, meta: dict[str, Any], key_base: str, record: str = "") -> Article:
    try:
        published = parse_date(meta.get("published_at") or meta.get("date"))
    except ValueError as exc:
        raise IngestError(origin + record, str(exc)) from None
    for name in ("source", "author", "url"):
        value = meta.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            raise IngestError(origin + record, f"field {name!r} must be a string, got {type(value).__name__}")
    url = str(meta.get("url") or "").strip()
    warnings = []
    if url and not safe_url(url):
        # A javascript:/data:/file: "url" would become a live link wherever the article is shown.
        warnings.append(f"{origin + record}: url {url[:60]!r} dropped (only http(s) addresses are kept)")
        url = ""
    return Article(
        title=title[:500] or Path(origin).stem,
        text=body,
        source=str(meta.get("source") or "").strip(),
        author=str(meta.get("author") or "").strip(),
        published_at=published,
        url=url,
        origin=origin + record,
        path=key_base,
        key=f"{key_base}::{url}" if (url and record) else key_base + record,
        warnings=warnings,
    )


def load_html(html: str, origin: str, base: str) -> Article:
    """An HTML page as an article: main text and metadata by trafilatura (no markup, no scripts)."""
    import trafilatura

    body = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=False, favor_recall=True)
    if not body or not body.strip():
        raise IngestError(origin, "no article text found in the HTML (only scripts/markup?); save the article page or its text")
    meta = trafilatura.extract_metadata(html)
    fields: dict[str, Any] = {}
    title = ""
    if meta is not None:
        title = meta.title or ""
        fields = {"source": meta.sitename or "", "author": meta.author or "", "url": meta.url or ""}
        if meta.date:
            fields["published_at"] = meta.date
    if not title:
        title = body.strip().split("\n", 1)[0][:200]
    return _article(origin, title, body.strip(), fields, base)


def _load_pdf(raw: bytes, origin: str, base: str) -> Article:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise IngestError(origin, "PDF is encrypted; save an unprotected copy")
        body = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
        info = reader.metadata or {}
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IngestError(origin, f"not a readable PDF ({exc}); re-export it") from None
    if not body:
        raise IngestError(origin, "PDF has no extractable text (scanned image?); run OCR first")
    title = str(info.get("/Title") or "").strip() or body.split("\n", 1)[0].strip()[:200]
    return _article(origin, title, body, {"author": str(info.get("/Author") or "")}, base)


def _records_from(obj: Any, origin: str) -> list[Any]:
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        return obj["articles"]
    if isinstance(obj, dict):
        return [obj]
    if isinstance(obj, list):
        return obj
    raise IngestError(origin, "JSON must be an article object, an array of them, or {\"articles\": [...]}")


def _record(obj: Any, origin: str, base: str, index: int) -> Article:
    where = f"#{index}"
    if not isinstance(obj, dict):
        raise IngestError(origin + where, f"record is a {type(obj).__name__}, expected an object with title/body")
    body = obj.get("body", obj.get("text"))
    if body is None:
        raise IngestError(origin + where, "record has no 'body'; add the article text under 'body'")
    if not isinstance(body, str):
        raise IngestError(origin + where, f"'body' must be a string, got {type(body).__name__}")
    if not body.strip():
        raise IngestError(origin + where, "'body' is empty; add the article text")
    title = obj.get("title") or ""
    if not isinstance(title, str):
        raise IngestError(origin + where, f"'title' must be a string, got {type(title).__name__}")
    if not title.strip():
        title = body.strip().split("\n", 1)[0][:120]
    return _article(origin, title.strip(), body, obj, base, where)


def _load_json(text: str, origin: str, base: str) -> tuple[list[Article], list[IngestError]]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(origin, f"malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); fix the file") from None
    except RecursionError:
        raise IngestError(origin, "JSON nested too deeply; flatten it to an array of article objects") from None
    articles, errors = [], []
    for i, rec in enumerate(_records_from(obj, origin)):
        try:
            articles.append(_record(rec, origin, base, i))
        except IngestError as exc:
            errors.append(exc)
    return articles, errors


def _load_jsonl(text: str, origin: str, base: str) -> tuple[list[Article], list[IngestError]]:
    articles, errors = [], []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            errors.append(IngestError(f"{origin}:{i + 1}", f"malformed JSON line ({getattr(exc, 'msg', 'too deep')}); fix or remove it"))
            continue
        try:
            articles.append(_record(rec, origin, base, i))
        except IngestError as exc:
            errors.append(exc)
    return articles, errors
