"""A pool of worker processes that parse texts with spaCy, for hosts with cores to spare.

One process parses about 1,700 texts/s with the small English model; a GPU run validates (and, in edit form,
prechecks) every candidate it gets, so one driving process is the limit long before the GPU is
(docs/scale.md). The workers are started with `spawn` (never `fork`: the parent may already hold vLLM's or
CUDA's state) and each loads its own pipeline once. A batch is split into one contiguous slice per worker and
the analyses come back in order; a pool that breaks (a worker killed, out of memory) is reported once and
the caller parses in process.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any

from neggen.text.pos import DEFAULT_TAGGER, Analysis, Pos, SpacyTagger, Word, align, load_pipeline

# Below this many texts a batch is parsed in process: a round trip to the workers costs a few milliseconds.
MIN_POOL_TEXTS = 64

_worker_nlp: Any = None


def _start_worker() -> None:
    global _worker_nlp
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # A parent killed outright (SIGKILL, the OOM killer, a Ray actor killed) closes no pipe the worker
    # waits on: watch the parent's sentinel and leave with it, rather than linger with a loaded model.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    _worker_nlp = load_pipeline()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _parse(texts: list[str]) -> list[tuple[tuple, ...]]:
    # Plain tuples cross the pipe: a third of the pickling time of the Word dataclasses.
    docs = _worker_nlp.pipe(texts, batch_size=256)
    return [tuple(astuple_word(w) for w in align(text, doc)) for text, doc in zip(texts, docs, strict=True)]


def astuple_word(word: Word) -> tuple:
    return (word.text, word.pos, word.lemma, word.tag, word.dep, word.head)


def resolve_workers(requested: int | None, cpu_count: int | None = None) -> int:
    """`tagger_workers` as configured, or by default a quarter of the cores, at most 8: none on a 2-core
    laptop or CI box, where the engine needs the cores and a pool gains little (docs/scale.md)."""
    if requested is not None:
        return requested
    return min(8, (cpu_count or os.cpu_count() or 1) // 4)


def tagger_for(tagger_workers: int | None) -> SpacyTagger:
    """The validators' tagger for a run (config `tagger_workers`): the shared in-process one, or one with a
    pool of parsing workers, kept for the life of this process (a Ray actor runs many tasks with it)."""
    workers = resolve_workers(tagger_workers)
    return DEFAULT_TAGGER if workers == 0 else pooled_tagger(workers)


@lru_cache(maxsize=2)
def pooled_tagger(workers: int) -> SpacyTagger:
    # Shares the default tagger's loaded pipeline for the batches too small to send to the workers.
    return SpacyTagger(nlp=DEFAULT_TAGGER.nlp, pool=TagPool(workers))


class TagPool:
    """`workers` processes, started on first use; `parse` returns None when the pool cannot serve."""

    def __init__(self, workers: int, min_texts: int = MIN_POOL_TEXTS) -> None:
        if workers < 1:
            raise ValueError("a TagPool needs at least one worker")
        self.workers = workers
        self.min_texts = min_texts  # smaller batches are parsed by the caller
        self._executor: ProcessPoolExecutor | None = None
        self.broken: str | None = None  # why the pool stopped serving, once it has

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
            )
        return self._executor

    def parse(self, texts: Sequence[str]) -> list[Analysis] | None:
        if self.broken is not None:
            return None
        if not texts:
            return []
        size = -(-len(texts) // self.workers)
        slices = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        try:
            parts = list(self._pool().map(_parse, slices))
        except BrokenProcessPool as exc:
            self.broken = f"tagger pool broke ({exc or 'a worker died'}); parsing in the main process from now on"
            self.close()
            return None
        return [
            tuple(Word(text, Pos(pos), lemma, tag, dep, head) for text, pos, lemma, tag, dep, head in words)
            for part in parts
            for words in part
        ]

    def pids(self) -> list[int]:
        """The workers' process ids (started ones only)."""
        return [] if self._executor is None else list(self._executor._processes)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
