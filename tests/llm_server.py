"""A scripted OpenAI-compatible server for tests: /v1/chat/completions, with and without SSE.

Each request takes the next scripted reply (the last one repeats): a dict with `content`, and
optionally `status` (HTTP code), `delay` (seconds before answering), `headers`, `piece_delay`
(stream only: seconds between pieces), or `cut` (stream only: stop after N pieces without the
final [DONE]). Requests are recorded; `abandoned` counts streams the client closed mid-way (the
server stops writing then, as llama.cpp does for a streamed request).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedLLM:
    def __init__(self):
        self.replies: list[dict] = [{"content": "The articles don't say."}]
        self.requests: list[dict] = []
        self.abandoned = 0
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *replies: dict) -> None:
        with self._lock:
            self.replies = list(replies)
            self.requests.clear()

    def _next(self) -> dict:
        with self._lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                if self.path.endswith("/embeddings"):
                    # Deterministic 8-dim vectors from character counts: enough to test the wiring.
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    data = [{"object": "embedding", "index": i,
                             "embedding": [float(str(t).lower().count(ch) + 1) for ch in "aeiourst"]} for i, t in enumerate(texts)]
                    payload = json.dumps({"object": "list", "data": data, "model": body.get("model"),
                                          "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                reply = outer._next()
                time.sleep(reply.get("delay", 0))
                status = reply.get("status", 200)
                if status != 200:
                    payload = json.dumps({"error": {"message": reply.get("content", "error"), "type": "server_error"}}).encode()
                    self.send_response(status)
                    for k, v in reply.get("headers", {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                content = reply.get("content", "")
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    pieces = [w + " " for w in content.split(" ")]
                    pieces[-1] = pieces[-1][:-1]
                    for i, piece in enumerate(pieces):
                        if "cut" in reply and i >= reply["cut"]:
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece} if i == 0 else {"content": piece},
                                              "finish_reason": None}]}
                        try:
                            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                            self.wfile.flush()
                        except (BrokenPipeError, ConnectionResetError):
                            outer.abandoned += 1  # the client gave up: stop generating
                            self.close_connection = True
                            return
                        time.sleep(reply.get("piece_delay", 0))
                    end = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    try:
                        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                        self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        outer.abandoned += 1
                    self.close_connection = True
                    return
                payload = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": body.get("model"),
                                      "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def main() -> None:
    """Serve scripted replies until killed: `python tests/llm_server.py PORT_FILE [REPLY ...]`.

    Writes the base URL to PORT_FILE once listening (used by scripts/check_wheel.sh in CI).
    """
    import sys

    llm = ScriptedLLM()
    if len(sys.argv) > 2:
        llm.script(*({"content": r} for r in sys.argv[2:]))
    with open(sys.argv[1], "w") as fh:
        fh.write(llm.url)
    llm.thread.join()


if __name__ == "__main__":
    main()
