"""The `openai` engine: any OpenAI-compatible chat server (`vllm serve`, TGI, llama.cpp server, a proxy).

One asyncio loop on a background thread holds one `httpx.AsyncClient` (a keep-alive connection pool) for the
engine's life; at most `concurrency` POSTs are open at once and the scheduler keeps twice that many requests
queued, so the server never waits for the pipeline. A timeout per request, and tenacity retries with
exponential backoff and jitter on what is transient: connection errors, timeouts, 429 and 5xx. Any other 4xx
concerns that request only (prompt too long, bad parameter) and becomes a per-request error, except a 400 or
422 that refuses the `structured_outputs` field of a constrained request: the server cannot enforce the edit
form, so that raises EngineError once rather than a reject per row. A server that stays down past the retries
raises EngineError, which fails the run and keeps every committed part.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from neggen.engines.base import Completion, EngineError, EngineTextScorer, Request, mean_logprob


class TransientError(Exception):
    """Worth retrying: the server is busy, restarting, or unreachable."""


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key: str | None = None,
        concurrency: int = 256,
        timeout_s: float = 120.0,
        max_retries: int = 6,
        backoff_max_s: float = 30.0,
    ):
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.max_in_flight = 2 * concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_max_s = backoff_max_s
        self._requests_sent = 0
        self._retries = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def version(self) -> str:
        return f"openai-compatible server at {self.base_url}"

    def stats(self) -> dict[str, Any]:
        return {"http_requests": self._requests_sent, "http_retries": self._retries}

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="neggen-openai", daemon=True).start()

            async def make_pool() -> None:
                limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
                self._client = httpx.AsyncClient(limits=limits, timeout=self.timeout_s)
                self._slots = asyncio.Semaphore(self.concurrency)

            asyncio.run_coroutine_threadsafe(make_pool(), loop).result()
            self._loop = loop
        return self._loop

    def close(self) -> None:
        if self._loop is None:
            return
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop = self._client = self._slots = None

    def submit(self, request: Request) -> Future:
        """Start one request on the pool; the future holds its Completion or raises EngineError."""
        return asyncio.run_coroutine_threadsafe(self._complete(request), self._start())

    def stream(self) -> OpenAIStream:
        return OpenAIStream(self)

    def _body(self, request: Request) -> dict[str, Any]:
        """The one conversion of a Request into the server's chat-completions body."""
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "n": s.n,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
        }
        if request.seed is not None:
            body["seed"] = request.seed
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "negative", "schema": request.json_schema, "strict": True},
            }
        elif request.regex is not None:
            # vLLM's server (0.32: ChatCompletionRequest.structured_outputs) takes a regex here; a server that
            # rejects the field (400/422) fails the run in _post, one that ignores it fails in _check_enforced.
            body["structured_outputs"] = {"regex": request.regex}
        return body

    async def _post(
        self, body: dict[str, Any], constrained: bool = False, path: str = "chat/completions"
    ) -> dict[str, Any] | Completion:
        assert self._client is not None and self._slots is not None
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with self._slots:
            self._requests_sent += 1
            try:
                response = await self._client.post(f"{self.base_url}/{path}", json=body, headers=headers)
            except httpx.HTTPError as exc:  # connect, read, timeout, protocol: the server may come back
                raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}: {response.text[:300]}")
        if constrained and _refuses_constraint(response.status_code, response.text):
            shown = " ".join(response.text.split())[:120]
            raise EngineError(
                f"{self.base_url} refused the structured_outputs constraint (HTTP {response.status_code}: {shown}):"
                " the edit form needs a server that enforces it, such as vLLM (`vllm serve`); or use --output sentence"
            )
        if response.status_code >= 400:
            return Completion("", error=f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except json.JSONDecodeError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc

    async def _send(
        self, body: dict[str, Any], constrained: bool = False, path: str = "chat/completions"
    ) -> dict[str, Any] | Completion:
        """_post, retried on transient failures; EngineError once the retries are spent."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.max_retries),
            wait=wait_exponential_jitter(multiplier=0.5, max=self.backoff_max_s),
            before_sleep=lambda _: self._count_retry(),
            reraise=True,
        )
        try:
            return await retrying(self._post, body, constrained, path)
        except TransientError as exc:
            raise EngineError(f"{self.base_url} failed {self.max_retries} times: {exc}") from exc

    def text_scorer(self) -> EngineTextScorer:
        """Plausibility with the served model: the completions endpoint echoes the prompt with each token's
        log-prob (`echo` with `logprobs`, as vLLM's server and OpenAI's legacy completions take them)."""
        return EngineTextScorer(f"openai {self.model}", f"{self.model} at {self.base_url}", self._score_texts)

    def _score_texts(self, texts: Sequence[str]) -> list[float]:
        loop = self._start()
        futures = [asyncio.run_coroutine_threadsafe(self._prompt_logprob(t), loop) for t in texts]
        try:
            return [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()

    async def _prompt_logprob(self, text: str) -> float:
        body = {"model": self.model, "prompt": text, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 0}
        answer = await self._send(body, path="completions")
        try:
            if isinstance(answer, Completion):
                raise ValueError(answer.error)
            token_logprobs = answer["choices"][0]["logprobs"]["token_logprobs"]
            prompt_tokens = int(answer["usage"]["prompt_tokens"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            shown = " ".join(str(exc).split())[:120]
            raise ValueError(
                f"{self.base_url}/completions gave no prompt logprobs (echo, logprobs) for scoring ({shown}): "
                "name a scorer model, e.g. --set plausibility.model=default"
            ) from None
        # The first token has no context (None); the answer's own token follows the prompt's.
        return mean_logprob([float(v) for v in token_logprobs[:prompt_tokens] if v is not None])

    async def _complete(self, request: Request) -> Completion:
        body = self._body(request)
        answer = await self._send(body, "structured_outputs" in body)
        if isinstance(answer, Completion):
            answer.request_id = request.request_id
            return answer
        completion = _completion(request.request_id, answer)
        if request.regex is not None:
            _check_enforced(completion, request.regex, self.base_url)
        return completion

    def _count_retry(self) -> None:
        self._retries += 1


# How servers word an unknown request field: OpenAI "Unrecognized request argument supplied: structured_outputs",
# TGI (422) "unknown field `structured_outputs`", a pydantic model with extra="forbid" "Extra inputs are not
# permitted" at loc [..., "structured_outputs"]. A 400 that names the field for another reason (vLLM's "regex must
# not contain a NUL character") stays that request's error.
_REFUSAL = re.compile(
    r"unrecogni[sz]ed|unknown|unexpected|unsupported|not supported|extra|not permitted|not allowed|additional propert",
    re.IGNORECASE,
)


def _refuses_constraint(status: int, text: str) -> bool:
    """A 400/422 answer to a constrained request that says the server does not take `structured_outputs`."""
    return status in (400, 422) and "structured_outputs" in text and _REFUSAL.search(text) is not None


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


class OpenAIStream:
    """The scheduler's view of the pool: completions come back in the order they finish."""

    def __init__(self, engine: OpenAIEngine):
        self.engine = engine
        self.done: queue.SimpleQueue[tuple[int, Future]] = queue.SimpleQueue()
        self.futures: dict[int, Future] = {}

    def submit(self, key: int, request: Request) -> None:
        future = self.engine.submit(request)
        self.futures[key] = future
        future.add_done_callback(lambda f, key=key: self.done.put((key, f)))

    def in_flight(self) -> int:
        return len(self.futures)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        if not self.futures:
            return []
        try:
            finished = [self.done.get(timeout=timeout)]
        except queue.Empty:
            return []
        while not self.done.empty():
            finished.append(self.done.get_nowait())
        out = []
        try:
            for key, future in finished:
                del self.futures[key]
                out.append((key, future.result()))
        except BaseException:
            for future in self.futures.values():  # the server is gone: stop the rest
                future.cancel()
            self.futures.clear()
            raise
        return out


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
