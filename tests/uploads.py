"""Probe a running UI's raw API with FileData naming server files; shared by the UI security tests."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr
import httpx

SECRET = "Vault notes: the launch code is Zebra-42 and the safe is behind the painting."


def server_paths(tmp: Path, url: str) -> tuple[Path, list[str]]:
    """A server file outside the upload folder and the ways a client could name it."""
    tmp.mkdir(parents=True, exist_ok=True)
    secret = tmp / "vault-notes.txt"
    secret.write_text(SECRET)
    link = tmp / "innocent.txt"
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    root = Path(gr.utils.get_upload_folder())
    up = os.path.relpath(secret, root)  # ../../.. from the upload folder to the secret
    return secret, [str(secret), f"{root}/{up}", str(link), f"{root}/x/../{up}",
                    f"/gradio_api/file={secret}", f"{url}/gradio_api/file={secret}", f"file://{secret}",
                    "http://127.0.0.1:9/article.txt"]


def assert_server_files_refused(client: httpx.Client, url: str, tmp: Path, refusal: str) -> None:
    """Every way of naming a server file is refused before Gradio sees it; nothing is copied or served."""
    secret, paths = server_paths(tmp, url)
    before = {p for p in Path(gr.utils.get_upload_folder()).rglob("*")}
    for path in paths:
        file_data = {"path": path, "orig_name": "notes.txt", "meta": {"_type": "gradio.FileData"}}
        for route, body in ((f"{url}/gradio_api/call/ingest", {"data": [[file_data]]}),
                            (f"{url}/gradio_api/queue/join", {"data": [[file_data]], "fn_index": 0, "session_hash": "probe"})):
            r = client.post(route, json=body, timeout=30)
            assert r.status_code == 400, (path, route, r.status_code, r.text[:200])
            assert refusal in r.json()["error"] and "\n" not in r.json()["error"]
    after = {p for p in Path(gr.utils.get_upload_folder()).rglob("*")}
    assert not [p for p in after - before if p.name in ("vault-notes.txt", "innocent.txt", "notes.txt")]
    assert client.get(f"{url}/gradio_api/file={secret}", timeout=10).status_code == 403
    for api in ("articles", "ask"):
        r = client.post(f"{url}/gradio_api/call/{api}", json={"data": ["Zebra launch code"] + ([[], "", ""] if api == "ask" else [])}, timeout=30)
        assert r.status_code == 200
        assert "Zebra-42" not in client.get(f"{url}/gradio_api/call/{api}/{r.json()['event_id']}", timeout=120).text
