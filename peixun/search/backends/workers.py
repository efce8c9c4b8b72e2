"""Forked worker processes for a full rebuild: this process loads batches of documents
from the database while the workers segment and write them (issue 5: a rebuild was bound
by one core). Workers start by fork, so they share the app, its configuration and the
segmenter already loaded in the caller's app context (load it before: a worker must not
read the dictionary from the database). A worker's error stops the rebuild."""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["default_workers", "run"]


def default_workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _jobs(jobs: Any, parent: int) -> Iterator[Any]:
    """The jobs until None; stops if the parent died (kill -9: it sends no None), so no
    worker keeps the parent's files, and the index lock with them, open for ever."""
    while True:
        try:
            job = jobs.get(timeout=5.0)
        except queue.Empty:
            if os.getppid() != parent:
                raise RuntimeError("the rebuild's process is gone") from None
            continue
        if job is None:
            return
        yield job


def _loop(
    setup: Callable[[], None] | None, work: Callable[[Any], Any], jobs: Any, results: Any, parent: int
) -> None:
    try:
        if setup is not None:
            setup()
        answers = [work(job) for job in _jobs(jobs, parent)]
        results.put(("ok", answers))
    except BaseException as error:  # reported to the parent, which raises
        results.put(("error", repr(error)))


def _answers(processes: list[Any], results: Any) -> list[tuple[str, Any]]:
    answers: list[tuple[str, Any]] = []
    while len(answers) < len(processes):
        try:
            answers.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                answers.append(("error", "a worker process died"))
                break
    return answers


def run(
    jobs_: Iterable[Any],
    work: Callable[[Any], Any],
    workers: int,
    *,
    setup: Callable[[], None] | None = None,
    route: Callable[[int, Any], int] | None = None,
    queued: int = 8,
) -> list[Any]:
    """work(job) for every job, in `workers` processes (setup() first in each). Jobs go
    to a shared queue, or each to the worker route(number, job) names (then each worker
    has its own queue). Returns every worker's answers (a worker's in its order)."""
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(maxsize=queued) for _ in range(workers if route else 1)]
    results = context.Queue()
    processes = [
        context.Process(
            target=_loop, args=(setup, work, queues[n % len(queues)], results, os.getpid()), daemon=True
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        for number, job in enumerate(jobs_):
            queues[route(number, job) % workers if route else 0].put(job)
        for n in range(workers):
            queues[n % len(queues)].put(None)
        answers = _answers(processes, results)
    except BaseException:
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.join(timeout=10)
    failed = [detail for status, detail in answers if status != "ok"]
    if failed:
        raise RuntimeError(f"a search index worker failed: {failed[0]}")
    return [answer for _, answers_ in answers for answer in answers_]
