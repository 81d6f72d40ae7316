"""A tiny OpenAI-compatible chat server on loopback that fails on purpose, for the retry paths."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# plan(call_number, body) -> (status, payload_or_None, delay_seconds); None payload = a normal answer.
Plan = Callable[[int, dict[str, Any]], tuple[int, Any, float]]


def normal_answer(body: dict[str, Any]) -> dict[str, Any]:
    text = body["messages"][-1]["content"].rstrip(".")
    reversed_text = " ".join(reversed(text.split())) + "."
    return {
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": reversed_text}, "finish_reason": "stop"}
            for i in range(body.get("n", 1))
        ],
        "usage": {"prompt_tokens": 50, "completion_tokens": 7 * body.get("n", 1)},
    }


class FaultServer:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.calls = 0
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.calls += 1
                    call = server.calls
                    server.bodies.append(body)
                    server.paths.append(self.path)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    status, payload, delay = server.plan(call, body)
                    time.sleep(delay)
                    data = json.dumps(payload if payload is not None else normal_answer(body)).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
