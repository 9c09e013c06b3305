"""Gradio app: Ask (cited chat), Briefing, Library (upload/ingest/delete) and Evaluate tabs.

Every action is also an API endpoint (`api_name`), so `gradio_client` can call ask, brief,
ingest, delete, stats and eval. Launch with `rag ui` (127.0.0.1:7860 by default; never a share
link). Errors reach the user as one readable line, never a traceback. The rooms: `render.py` (what
is shown, no Gradio), `handlers.py` (what each action does), `page.py` (the layout and its events),
`guard.py` (the request guard), `loading.py` (the starting page), and this module (login and launch).

Safety (see SECURITY.md): article strings are data in every view (`rag.safe`): escaped for HTML,
neutralised for Markdown, links only for http(s) URLs. No file under the data dir is ever served;
downloads and reports are written to a fresh temporary folder per request and served by Gradio as
attachments. Uploads are checked (size, extension) before they are copied, stored under
content-derived names, and deleted when rejected. Binding a non-loopback address requires a login
or read-only mode, and every handler (API or not) enforces read-only mode itself.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware

from rag.corpus import Corpus
from rag.errors import RagError
from rag.safe import is_loopback
from rag.settings import Settings

from .guard import UploadGuard
from .handlers import App
from .loading import LoadingPage
from .page import CSS, HEAD, build

def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:pass' -> (user, pass); None when unset."""
    if not value:
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / RAG_UI_AUTH must look like user:password")
    return user, password


def resolve_auth(settings: Settings, auth: str | None = None, auth_file: Path | None = None) -> tuple[str, str] | None:
    """The login from --auth, --auth-file, RAG_UI_AUTH or RAG_UI_AUTH_FILE (a file holding user:password)."""
    if auth or settings.ui_auth:
        return parse_auth(auth or settings.ui_auth)
    path = auth_file or settings.ui_auth_file
    if path:
        try:
            return parse_auth(Path(path).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise RagError(f"--auth-file {path}: cannot read it ({exc.strerror}); give a file holding user:password") from None
    return None


def launch(settings: Settings | None = None, host: str | None = None, port: int | None = None, auth: str | None = None,
           block: bool = True, corpus: Corpus | None = None, auth_file: Path | None = None, read_only: bool | None = None,
           loading: LoadingPage | None = None):
    """Start the app on host:port (127.0.0.1:7860 by default); returns (demo, url) when not blocking.

    `loading`, a starting page already serving on that port, hands the port over just before the app binds it.
    """
    settings = settings or Settings()
    if read_only is not None:
        settings = settings.model_copy(update={"ui_read_only": read_only})
    if not settings.ingest_threads:
        # Uploads are embedded on one core, so the questions asked meanwhile keep the others.
        settings = settings.model_copy(update={"ingest_threads": 1})
    host = host or settings.ui_host
    login = resolve_auth(settings, auth, auth_file)
    if not is_loopback(host) and login is None and not settings.ui_read_only:
        raise RagError(f"--host {host} is reachable from other machines: add --auth user:password (or --auth-file), "
                       "or --read-only, or bind 127.0.0.1")
    app = App(settings, corpus, host)
    app.start_warm()
    demo = build(app)
    app.uploaded = demo.upload_file_set
    demo.queue(default_concurrency_limit=8)
    # No allowed_paths: nothing under the data dir (uploads, catalogue, Chroma) is ever served.
    # The guard sees every call before Gradio copies any file it names (ui/guard.py).
    guard = Middleware(UploadGuard, uploaded=demo.upload_file_set, read_only=settings.ui_read_only)
    if loading is not None:
        loading.stop()
    _, url, _ = demo.launch(server_name=host, server_port=port or settings.ui_port, share=False,
                            auth=login, prevent_thread_lock=not block, quiet=not block, show_error=True,
                            max_file_size=settings.max_file_bytes, css=CSS, head=HEAD, footer_links=["api"],
                            app_kwargs={"middleware": [guard]})
    return demo, url
