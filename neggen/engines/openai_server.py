"""The `openai` engine: any OpenAI-compatible chat server (`vllm serve`, TGI, llama.cpp server, a proxy).

Bounded concurrency (a thread pool of `concurrency` requests in flight), a timeout per request, and tenacity
retries with exponential backoff on what is transient: connection errors, timeouts, 429 and 5xx. Any other
4xx concerns that request only (prompt too long, bad parameter) and becomes a per-request error. A server that
stays down past the retries raises EngineError, which fails the shard and keeps finished chunks.
Standard library HTTP: one POST per request needs no client package.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from neggen.engines.base import Completion, EngineError, Request


class TransientError(Exception):
    """Worth retrying: the server is busy, restarting, or unreachable."""


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key: str | None = None,
        concurrency: int = 16,
        timeout_s: float = 120.0,
        max_retries: int = 6,
        backoff_max_s: float = 30.0,
    ):
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_max_s = backoff_max_s
        self._requests_sent = 0
        self._retries = 0

    def version(self) -> str:
        return f"openai-compatible server at {self.base_url}"

    def stats(self) -> dict[str, Any]:
        return {"http_requests": self._requests_sent, "http_retries": self._retries}

    def close(self) -> None:
        pass

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._complete, requests))

    def _body(self, request: Request) -> dict[str, Any]:
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "n": s.n,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "seed": request.seed,
        }
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "negative", "schema": request.json_schema, "strict": True},
            }
        elif request.regex is not None:
            # vLLM's server (0.32: ChatCompletionRequest.structured_outputs) takes a regex here; a server
            # without it answers 400, which becomes this request's error rather than an unconstrained answer.
            body["structured_outputs"] = {"regex": request.regex}
        return body

    def _post(self, body: dict[str, Any]) -> dict[str, Any] | Completion:
        data = json.dumps(body).encode()
        http = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=data,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
            method="POST",
        )
        self._requests_sent += 1
        try:
            with urllib.request.urlopen(http, timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            if exc.code == 429 or exc.code >= 500:
                raise TransientError(f"HTTP {exc.code}: {detail}") from exc
            return Completion("", error=f"HTTP {exc.code}: {detail}")
        except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc

    def _complete(self, request: Request) -> Completion:
        body = self._body(request)
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.max_retries),
            wait=wait_exponential_jitter(multiplier=0.5, max=self.backoff_max_s),
            before_sleep=lambda _: self._count_retry(),
            reraise=True,
        )
        try:
            answer = retrying(self._post, body)
        except TransientError as exc:
            raise EngineError(f"{self.base_url} failed {self.max_retries} times: {exc}") from exc
        if isinstance(answer, Completion):
            answer.request_id = request.request_id
            return answer
        completion = _completion(request.request_id, answer)
        if request.regex is not None:
            _check_enforced(completion, request.regex, self.base_url)
        return completion

    def _count_retry(self) -> None:
        self._retries += 1


def _check_enforced(completion: Completion, regex: str, base_url: str) -> None:
    """A server that accepts the request but ignores `structured_outputs` must not pass for one that
    enforces it: a finished answer outside the regex means the constraint was dropped."""
    pattern = re.compile(regex)
    for text, finish in zip(completion.texts, completion.finish_reasons, strict=False):
        if finish == "stop" and not (isinstance(text, str) and pattern.fullmatch(text.strip())):
            raise EngineError(
                f"{base_url} ignored the structured_outputs regex (answered {str(text)[:40]!r}):"
                " the edit form needs a server that enforces it, such as vLLM; or use --output sentence"
            )


def _completion(request_id: str, answer: dict[str, Any]) -> Completion:
    choices = sorted(answer.get("choices") or [], key=lambda c: c.get("index", 0))
    usage = answer.get("usage") or {}
    return Completion(
        request_id,
        texts=[(c.get("message") or {}).get("content") for c in choices],
        finish_reasons=[c.get("finish_reason") for c in choices],
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
    )
