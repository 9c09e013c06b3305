import json

import pytest

from rag.errors import IngestError
from rag.loaders import load_file, load_paths

from .conftest import MULTIHOP, SEED


def test_seed_text_file_title_is_first_line_and_body_is_the_rest():
    (art,), errors = load_file(SEED)
    assert not errors
    assert art.title == "The threat of IRGC-backed militias sway over Iraqi security forces"
    assert art.text.startswith("Iran-backed\u00a0militia groups")
    assert len(art.id) == 16


def test_front_matter_sets_metadata(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\ntitle: Dam opens\nsource: River Times\nauthor: Ann Lee\npublished_at: 2024-03-02\nurl: https://x.test/a\n---\nThe dam opened on Monday.\n")
    (art,), _ = load_file(p)
    assert (art.title, art.source, art.author, art.published_at, art.url) == ("Dam opens", "River Times", "Ann Lee", "2024-03-02", "https://x.test/a")
    assert art.text == "The dam opened on Monday."


def test_same_body_same_id_and_url_changes_it(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("Title\nSame body text here.")
    b.write_text("Other title\nSame  body\u00a0text here.")
    (x,), _ = load_file(a)
    (y,), _ = load_file(b)
    assert x.id == y.id  # id depends on the normalised body only (no url)


def test_html_main_text_is_extracted(tmp_path):
    p = tmp_path / "page.html"
    body = " ".join(["The council approved the new bridge budget after a long debate."] * 5)
    p.write_text(f"<html><head><title>Bridge budget approved</title><script>var x=1;</script></head>"
                 f"<body><nav>Home | News</nav><article><h1>Bridge budget approved</h1><p>{body}</p>"
                 f"<p>Work starts in May, officials said.</p></article></body></html>")
    (art,), _ = load_file(p)
    assert "bridge budget" in art.text
    assert "var x" not in art.text
    assert art.title == "Bridge budget approved"


def test_pdf_text_is_extracted(tmp_path):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    page = w.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 720 Td (Harbour reopens after storm) Tj 0 -20 Td (Ships returned on Friday.) Tj ET")
    page[NameObject("/Contents")] = w._add_object(stream)
    p = tmp_path / "a.pdf"
    with open(p, "wb") as fh:
        w.write(fh)
    (art,), _ = load_file(p)
    assert "Ships returned on Friday." in art.text


def test_multihop_corpus_loads_as_is():
    result = load_paths([MULTIHOP / "corpus.json"])
    assert not result.errors
    assert len(result.articles) == 60
    a = result.articles[0]
    assert a.source and a.published_at[:4] == "2023" and a.url.startswith("http")
    assert len({x.id for x in result.articles}) == 60


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t\n", "empty"),
    ("binary.txt", b"\x00\x01\x02\x03PK\x00\x00", "binary"),
    ("latin1.txt", "Caf\u00e9 au lait\nbody".encode("latin-1"), "UTF-8"),
    ("bad.json", b'[{"title": "x", "body": ', "malformed JSON"),
    ("notes.docx", b"PK\x03\x04", "unsupported"),
])
def test_bad_files_get_one_line_errors_naming_the_file(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(IngestError) as info:
        load_file(p)
    msg = str(info.value)
    assert msg.startswith(str(p)) and reason in msg and "\n" not in msg


def test_json_record_without_body_is_reported_and_others_load(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps([{"title": "ok", "body": "Fine text."}, {"title": "no body"}, {"title": 3, "body": "x"}]))
    arts, errors = load_file(p)
    assert [a.title for a in arts] == ["ok"]
    assert "#1" in errors[0].path and "no 'body'" in errors[0].reason
    assert "#2" in errors[1].path and "'title' must be a string" in errors[1].reason


def test_utf16_with_bom_is_decoded(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("Title\nBody in UTF-16.".encode("utf-16"))
    (art,), _ = load_file(p)
    assert art.text == "Body in UTF-16."
