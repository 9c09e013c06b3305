from hypothesis import given
from hypothesis import strategies as st

from rag.text import find_span, normalise, normalise_with_map, sentence_spans

from .conftest import SEED


def test_normalise_handles_nbsp_curly_quotes_and_whitespace():
    raw = "Iran-backed\u00a0militia  \u201cofficers\u201d\n\nUS taxpayers\u2019 money"
    assert normalise(raw) == "Iran-backed militia \"officers\" US taxpayers' money"


def test_map_points_back_to_original_characters():
    raw = "  a\u00a0\u00a0b\u2019c \n d"
    norm, imap = normalise_with_map(raw)
    assert norm == "a b'c d"
    assert [raw[i] for i in imap] == ["a", "\u00a0", "b", "\u2019", "c", " ", "d"]


def test_find_span_tolerates_normalisation_and_returns_original_offsets():
    text = SEED.read_text(encoding="utf-8")
    quote = "the Pentagon's inspector-general has told US Congress"
    start, end = find_span(text, quote)
    assert normalise(text[start:end]) == quote
    assert "\u2019" in text[start:end] and "\u00a0" in text[start:end]
    assert find_span(text, "not in the article at all") is None


def test_sentence_spans_respect_abbreviations_and_lines():
    text = "Rep. Joe Wilson spoke. He said \u201cno.\u201d Then U.S. forces left.\nNew line here"
    got = [text[s.start:s.end] for s in sentence_spans(text)]
    assert got == ["Rep. Joe Wilson spoke.", "He said \u201cno.\u201d", "Then U.S. forces left.", "New line here"]


@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r\u00a0\u2019\u201c\u201d\u2014\u200b\u2026\u2028\u3000\ufeffZ.")), max_size=60))
def test_fast_normalise_equals_mapped_normalise(text):
    assert normalise(text) == normalise_with_map(text)[0]
