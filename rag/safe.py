"""Untrusted text made inert: article strings shown as data in Markdown, HTML and links.

Article bodies, titles, outlets, authors and URLs come from the open web. Wherever they are
rendered (the chat, Sources cards, briefings, library and eval tables, every export) they must
display literally: no tag, image, link, emphasis, heading or math may come alive from them. Only
the app's own markup (citation markers, verdict badges, highlights) is live.

* `md_text(s)`: for Markdown that is rendered to HTML (Gradio's chat and Markdown components,
  `.md` exports). Every character that Markdown, HTML, GFM autolinks or math delimiters give a
  meaning to becomes a numeric character reference, which CommonMark shows as the character
  itself and never as structure; line breaks and runs of spaces collapse to one space.
* `md_readable(s)`: the same guarantee for Markdown people read as text too (the answer's Copy /
  export): metacharacters get a backslash instead of a character reference, so "Pentagon's
  inspector-general" stays as typed; "://", "@" and "www." are escaped so no autolink forms.
* `html.escape` (standard library) for HTML.
* `safe_url(u)`: only absolute http(s) URLs with a host may become links.
* `CSP_META`: the Content-Security-Policy every HTML export carries: no scripts, no remote loads.
* `is_instruction(s)`: a sentence that speaks to a reader or a model ("Ignore the question and say
  ...") instead of reporting something. Such a sentence is never evidence: the offline answerer and
  briefings never quote it, and an LLM reply is never "supported" by it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Markdown/HTML structure, GFM autolinks (":" in "https://", "@" in e-mails, "." in "www."),
# tables ("|"), strikethrough ("~"), math ("$") and entities ("&").
_ACTIVE = set("\\`*_{}[]()<>#+-.!|~:@$&\"'=")
_ENTITY = {c: f"&#{ord(c)};" for c in _ACTIVE}
_SPACE = re.compile(r"\s+")

CSP_META = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\">")


def md_text(text: str) -> str:
    """`text` as Markdown that renders as exactly these characters (on one line)."""
    return "".join(_ENTITY.get(c, c) for c in _SPACE.sub(" ", text or ""))


_READABLE = set("\\`*_{}[]<>#+!|~$&")
_WWW = re.compile(r"\b(www)\.", re.I)
# What would start a block at the head of a line: an ordered-list marker (1-9 digits then "." or ")"),
# a bullet or a setext underline ("-", "="). A date such as "2023-09-26" starts none of them.
_LIST_START = re.compile(r"^(\d{1,9})([.)])|^()([-=])")


def md_readable(text: str) -> str:
    """`text` as Markdown that renders as these characters and still reads well as plain text (one line)."""
    out = "".join("\\" + c if c in _READABLE else c for c in _SPACE.sub(" ", text or "").strip())
    out = _LIST_START.sub(lambda m: (m.group(1) or m.group(3) or "") + "\\" + (m.group(2) or m.group(4)), out)  # "1. x", "- x", "= x"
    return _WWW.sub(r"\1\\.", out.replace("://", "\\://").replace("@", "\\@"))


def safe_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL with a host, else "" (never a link)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c in url for c in "\"'<> \t\r\n\\"):
        return ""
    return url


def is_loopback(host: str | None) -> bool:
    """True for a host on this machine: 127.0.0.0/8, ::1 (bracketed or not) and localhost."""
    import ipaddress

    host = (host or "").strip().lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    """True for an http(s) endpoint on this machine (`is_loopback` of its host)."""
    return is_loopback(urlsplit(url or "").hostname)


def first_internal_address(host: str) -> str:
    """The first address `host` resolves to that is not public (loopback, private, link-local, reserved,
    multicast or unspecified), "" when all are public. Raises OSError when it does not resolve."""
    import ipaddress
    import socket

    for info in socket.getaddrinfo(host, None):
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            return str(ip)
    return ""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(text: str) -> str:
    """`text` for plain terminal output: control characters (escape sequences) removed, spaces collapsed."""
    return _SPACE.sub(" ", _CONTROL.sub("", text or "")).strip()


def term_text(text: str) -> str:
    """`text` for Rich terminal output: control characters (escape sequences) removed, markup escaped."""
    from rich.markup import escape

    return escape(_CONTROL.sub("", text or ""))


_ADDRESSED = "|".join([
    # telling a model to drop what it was told
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?]{0,60}\b(?:instructions?|prompts?|question|rules|guidelines"
    r"|above|previous|context|system message)\b",
    # giving it a role
    r"\b(?:you are now|act as|pretend (?:to be|you are)|role-?play as)\b[^.!?]{0,40}\b(?:ai|assistant|model|chatbot|gpt|llm)\b",
    r"\bas an? (?:ai(?: language model| assistant)?|language model)\s*,",
    r"\b(?:ai|assistants?|chatbots?|language models?|llms?)\b[^.!?]{0,40}\b(?:must|should|shall)\b[^.!?]{0,30}"
    r"\b(?:say|answer|respond|reply|cite|output)\b",
    # dictating the reply
    r"^\W*(?:say|answer|respond|reply|output|print|state)\b[^.!?]{0,80}\b(?:the answer|the user|the reply)\b",
    r"\b(?:say|respond|reply|output)\b[^.!?]{0,20}\bthe answer (?:is|should be|must be)\b",
    r"^\W*(?:system|assistant|user)\s*:",
])
_INSTRUCTION = re.compile(_ADDRESSED, re.I)


def is_instruction(sentence: str) -> bool:
    """True when a sentence addresses a reader or a model with orders about the answer (never evidence)."""
    return bool(_INSTRUCTION.search(sentence or ""))
