"""A "starting…" page on the app's port while the app itself loads (standard library only).

Importing Gradio, LangChain and Chroma and building the page takes several seconds on a small
machine; without this the browser shows a connection error until then. `LoadingPage` answers every
request with one fixed page (status 503, header `X-Rag-Loading: 1`) whose script polls the same
address and reloads once something else answers: the app, or its login page. It serves no file and
no data, only this page.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = "X-Rag-Loading"
PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News RAG - starting</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:3rem;color:#222}p{font-size:1.1rem}</style></head>
<body><h1>News RAG</h1><p id="loading" role="status">Starting the app&hellip; this page opens it when it is ready.</p>
<script>
async function poll() {
  try {
    const r = await fetch(location.pathname, {cache: "no-store"});
    if (!r.headers.get("X-Rag-Loading")) { location.reload(); return; }
  } catch (e) {}
  setTimeout(poll, 700);
}
setTimeout(poll, 700);
</script></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(503)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Retry-After", "1")
        self.send_header(MARKER, "1")
        self.end_headers()
        self.wfile.write(PAGE)

    do_HEAD = do_GET

    def log_message(self, *args):  # quiet: the app logs its own requests
        pass


class LoadingPage:
    """Serve the starting page on host:port until `stop()` hands the port to the app."""

    def __init__(self, host: str, port: int):
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="rag-loading-page", daemon=True)

    def start(self) -> "LoadingPage":
        """Start answering in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and free the port."""
        self.server.shutdown()
        self.server.server_close()


def try_loading_page(host: str, port: int) -> LoadingPage | None:
    """A started LoadingPage, or None when the port cannot be taken (the app then reports it itself)."""
    try:
        return LoadingPage(host, port).start()
    except OSError:
        return None
