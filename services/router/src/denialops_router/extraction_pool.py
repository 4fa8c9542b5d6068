"""The process pool that runs extraction and routing off the event loop.

Its workers exit when the router dies, however it dies: a worker started by a router killed with
SIGKILL would otherwise run on, holding the multiprocessing resource tracker with it (the tracker
exits by itself once no process holds its pipe).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent_pid: int, interval: float) -> None:
    """Runs in each worker as it starts: a daemon thread ends the worker once its parent is gone (the
    worker is then adopted, so its parent pid changes)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(0)  # Nobody is left to take a result: stop now, without running any more work.

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def extraction_pool(workers: int, parent_check_seconds: float = PARENT_CHECK_SECONDS) -> ProcessPoolExecutor:
    # `spawn`: forking a process that runs an event loop and client threads is not safe.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(), parent_check_seconds),
    )
