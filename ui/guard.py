"""The request guard in front of Gradio: a client may hand the app only files it uploaded here.

Gradio treats any `{"path": ..., "meta": {"_type": "gradio.FileData"}}` inside an API call's data as
a file to copy into its cache before a handler runs: local paths pass its own "was it uploaded"
check only by living in the upload folder, and http(s) paths are downloaded by the server. This
ASGI middleware reads every POST body first (bounded) and refuses the call with a one-line error
unless each FileData names a path this process's upload route recorded (`Blocks.upload_file_set`),
so a client can never make the server read, fetch or serve a file it chose. A read-only app takes
no uploads and no FileData at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

UPLOAD_ROUTE = "/gradio_api/upload"
# Call and queue bodies hold questions, filters and chat history; uploads go through UPLOAD_ROUTE.
MAX_CALL_BODY = 8 * 1024 * 1024
_FORM_ROUTES = ("/login", UPLOAD_ROUTE)


def file_paths(value: Any) -> Iterator[Any]:
    """The `path` of every Gradio FileData object anywhere inside a decoded JSON value."""
    if isinstance(value, dict):
        meta = value.get("meta")
        if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
            yield value.get("path")
        for v in value.values():
            yield from file_paths(v)
    elif isinstance(value, list):
        for v in value:
            yield from file_paths(v)


def refusal(body: bytes, uploaded: set[str], read_only: bool) -> str | None:
    """Why a call body must not reach Gradio (one line), or None when every file in it was uploaded here."""
    try:
        data = json.loads(body)
    except ValueError:
        return None  # not JSON: Gradio rejects it without touching any file
    for path in file_paths(data):
        if read_only:
            return "this app is read-only: it takes no files (restart without --read-only to upload)"
        if not isinstance(path, str) or path not in uploaded:
            return ("not a file uploaded to this app: upload it first (POST /gradio_api/upload, or "
                    "gradio_client.handle_file) and pass the path that returns")
    return None


class UploadGuard:
    """ASGI middleware: refuses uploads on a read-only app and any call naming a file not uploaded here."""

    def __init__(self, app, uploaded: set[str], read_only: bool = False):
        self.app = app
        self.uploaded = uploaded  # Gradio's own live record of the paths its upload route wrote
        self.read_only = read_only

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.endswith(UPLOAD_ROUTE) and self.read_only:
            return await _reply(send, 403, "this app is read-only: uploads are switched off (restart without --read-only)")
        if path.endswith(_FORM_ROUTES):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_CALL_BODY:
                return await _reply(send, 413, f"request body over {MAX_CALL_BODY // 2**20} MB; send files through the upload route")
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        why = refusal(body, self.uploaded, self.read_only)
        if why:
            return await _reply(send, 400, why)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


async def _reply(send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
