"""The HTTP load of the stack benchmark, run by `bench/loadgen` (Go) in a process of its own.

A Python client in the benchmark's own process cost about 12 ms of CPU per case (httpx, on the event
loop that also samples lag and scrapes metrics): on 2 cores that is CPU taken from the stack it
measures. The Go tool does the same case flow (create + upload + SSE until the run is terminal) with a
bounded connection pool and the letters encoded once; its own CPU is measured from /proc and reported.

The tool is built once with the local Go toolchain (no module download: it uses the standard library
only) into the cache directory, keyed by a hash of its source.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
from pathlib import Path
from types import TracebackType

from bench.measure import Sample, Sink

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "bench" / "loadgen"
LETTERS_DIR = ROOT / "data" / "samples" / "letters"
CACHE = Path(os.environ.get("DENIALOPS_CACHE", Path.home() / ".cache" / "denialops"))


def binary() -> Path:
    """The built load tool, built now if its source changed since (a few seconds, once)."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.glob("*")):
        if path.suffix in {".go", ".mod"}:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    target = CACHE / "bench-loadgen" / digest.hexdigest()[:16] / "loadgen"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        try:
            command = ["go", "build", "-trimpath", "-o", str(target), "."]
            subprocess.run(command, cwd=SOURCE, env=env, check=True, capture_output=True)
        except FileNotFoundError as exc:
            raise RuntimeError("the HTTP load tool needs Go (https://go.dev/dl or apt-get install golang-go)") from exc
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"building bench/loadgen failed: {exc.stderr.decode(errors='replace')[-500:]}") from exc
    return target


class GoLoad:
    """One load-tool process for the whole run: closed loops (`start` .. `stop`) and open loops (`open`).

    Each sample is stamped with this event loop's clock when it arrives (the tool writes it the moment
    the case ends), its start being that minus the case's seconds as the tool measured them.
    """

    def __init__(self, base_url: str, token: str, case_timeout: float, max_connections: int = 256) -> None:
        self.args = [f"-url={base_url}", f"-letters={LETTERS_DIR}", f"-timeout={case_timeout}s"]
        self.args.append(f"-max-conns={max_connections}")
        self.token = token
        self.process: asyncio.subprocess.Process | None = None
        self.sink = Sink()
        self._drained: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._exited = False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def __aenter__(self) -> GoLoad:
        path = await asyncio.to_thread(binary)
        # One OS thread runs Go code: the load stays on about one core's share at most, and little of it.
        env = {**os.environ, "LOADGEN_TOKEN": self.token, "GOMAXPROCS": "1"}
        self.process = await asyncio.create_subprocess_exec(
            str(path), *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self.process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # end of commands: the tool lets its cases end, then exits
        try:
            await asyncio.wait_for(process.wait(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        loop = asyncio.get_running_loop()
        async for line in self.process.stdout:
            message = json.loads(line)
            if message["type"] == "sample":
                now = loop.time()
                self.sink.add(Sample(now - message["seconds"], now, message["outcome"], message.get("reason", "")))
            elif message["type"] == "drained" and self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
        await self.process.wait()
        self._exited = True
        if self._drained is not None and not self._drained.done():
            self._drained.set_exception(self._gone())

    def _gone(self) -> RuntimeError:
        assert self.process is not None
        return RuntimeError(f"the load tool exited (status {self.process.returncode}; its reason is on stderr)")

    async def _send(self, command: dict[str, object], wait: bool) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        if self._exited:
            raise self._gone()
        if wait:
            self._drained = asyncio.get_running_loop().create_future()
        try:
            self.process.stdin.write(json.dumps(command).encode() + b"\n")
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise self._gone() from exc
        if wait:
            assert self._drained is not None
            await self._drained

    async def start(self, concurrency: int, sink: Sink) -> None:
        """`concurrency` clients start, each its next case when the last one ended; samples go to `sink`."""
        self.sink = sink
        await self._send({"op": "closed", "concurrency": concurrency}, wait=False)

    async def stop(self) -> None:
        """No new case; returns once the cases in flight ended (each bounded by the case time-out)."""
        await self._send({"op": "stop"}, wait=True)

    async def open(self, rate: float, count: int) -> list[Sample]:
        """`count` arrivals at `rate` per second, whatever the answers; every one of them once all ended."""
        self.sink = Sink()
        await self._send({"op": "open", "rate": rate, "count": count}, wait=True)
        return self.sink.samples
