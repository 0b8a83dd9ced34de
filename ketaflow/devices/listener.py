"""The MLLP listener: python-hl7's asyncio MLLP streams, hardened for real monitor traffic.

What it adds to `hl7.mllp` (reference §4.1-6, docs/hl7.md):

- framing: a frame is whatever lies between the last start byte (0x0B) and the end bytes
  (0x1C 0x0D), so garbage or NULs before the start byte are dropped, frames split over
  several TCP reads are joined and several frames in one read are taken in turn;
- a maximum frame size: a bigger frame is refused (AR, with MSA-2 when its MSH could be
  read) and the connection carries on with the next frame;
- an idle timeout per connection (devices keep sockets open for hours, but a dead peer
  must not hold a slot for ever);
- per-connection error isolation: anything that goes wrong on one connection closes that
  connection only; one bad message is answered AE/AR and the next is read;
- pipelining: a sender may send the next frame before the ACK; ACKs go back in order;
- database work off the event loop, in a worker thread with its own Django connection
  (`close_old_connections` before and after each batch, as Django does per request; its
  health check, a round trip, only when the thread's last batch failed or ended more than
  `healthy_seconds` ago), with group commit: messages arriving while a batch commits form
  the next batch, and each message's AA is written only after the batch holding it has
  committed;
- a heartbeat every `heartbeat_seconds` (`ketaflow.ops.services.beat("hl7:<clinic slug>")`,
  or `hl7:<clinic slug>/<instance>` for one of several listeners of a clinic; written from a
  database thread, never per message) carrying the frames received and the ACK latency
  histogram since start, for /readyz and /metrics (`devices/metrics.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import logging
import os
import pstats
import signal
import threading
import time
from asyncio import IncompleteReadError, LimitOverrunError
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, connections
from django.utils import timezone
from hl7.mllp import HL7StreamProtocol, HL7StreamWriter, MLLPStreamReader

from ketaflow.accounts.models import Clinic
from ketaflow.devices import hl7_codec as hl7c
from ketaflow.devices import ingest, matching
from ketaflow.devices.metrics import AckLatency, heartbeat_name
from ketaflow.ops import services as ops_services

log = logging.getLogger("ketaflow.devices.listener")

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_IDLE_SECONDS = 1800.0
DEFAULT_BATCH = 64
IN_FLIGHT_PER_CONNECTION = 32
DEFAULT_HEARTBEAT_SECONDS = 15.0
#: Set to a path prefix to profile a running listener with cProfile: `<prefix>.loop.pstats`
#: (the event loop's thread) and `<prefix>.db.pstats` (the database threads) are written when
#: it stops. `python -m pstats <file>` to read them. Off unless set: it slows the listener.
PROFILE_ENV = "KETAFLOW_HL7_PROFILE"


#: A frame's answer to come, with the monotonic time the frame was read (for ACK latency).
Pending = tuple["asyncio.Future[ingest.Outcome]", float]


class FrameTooLarge(Exception):
    def __init__(self, head: bytes) -> None:
        super().__init__("frame too large")
        self.head = head


class NotAFrame(Exception):
    """Bytes ending in 0x1C 0x0D with no start byte before them (garbage, or an oversize tail)."""


class HardenedReader(MLLPStreamReader):
    """`hl7.mllp.MLLPStreamReader` that tolerates garbage before the start byte.

    An oversize frame is refused once: its first bytes are kept for the AR, and everything up
    to its end block is then dropped without a second refusal, however many reads it spans
    (one message, one ACK).
    """

    _skipping_oversize = False

    async def readframe(self) -> bytes:
        while self._skipping_oversize:
            try:
                await self.readuntil(hl7c.END_BLOCK)  # the rest of the refused frame
                self._skipping_oversize = False
            except LimitOverrunError as exc:
                self._drop_overrun(exc)
        try:
            block = await self.readuntil(hl7c.END_BLOCK)
        except LimitOverrunError as exc:
            head = bytes(self._buffer[:4096])
            self._drop_overrun(exc)
            raise FrameTooLarge(head) from exc
        start = block.rfind(hl7c.START_BLOCK)
        if start < 0:
            raise NotAFrame()
        return block[start + 1 : -len(hl7c.END_BLOCK)]

    def _drop_overrun(self, exc: LimitOverrunError) -> None:
        """Drop an overrun's bytes: through the end block if it is here, else all, and
        remember to skip the frame's remaining bytes."""
        if self._buffer.startswith(hl7c.END_BLOCK, exc.consumed):
            del self._buffer[: exc.consumed + len(hl7c.END_BLOCK)]
            self._skipping_oversize = False
        else:
            self._buffer.clear()
            self._skipping_oversize = True
        self._maybe_resume_transport()


@dataclass
class Stats:
    connections: int = 0
    frames: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


class Listener:
    """One clinic's listener. `await start()`, then `await serve_forever()` or `stop()`."""

    def __init__(
        self,
        clinic: Clinic,
        host: str = "127.0.0.1",
        port: int = 2575,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        batch_size: int = DEFAULT_BATCH,
        db_workers: int = 1,
        cache_seconds: float = 5.0,
        healthy_seconds: float = 1.0,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        instance: str = "",
    ) -> None:
        self.clinic = clinic
        # Its name among several listeners of one clinic: its heartbeat is its own.
        self.heartbeat = heartbeat_name(clinic.slug, instance)
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self.idle_seconds = idle_seconds
        self.batch_size = max(1, batch_size)
        self.db_workers = 1 if connection.vendor == "sqlite" else max(1, db_workers)
        self.stats = Stats()
        self.heartbeat_seconds = heartbeat_seconds
        self.ack_latency = AckLatency()
        self._heartbeat: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[tuple[ingest.Frame, asyncio.Future[ingest.Outcome]]]
        self._server: asyncio.AbstractServer | None = None
        self._committers: list[asyncio.Task[None]] = []
        self._connections: set[asyncio.Task[Any]] = set()
        self._executor = ThreadPoolExecutor(self.db_workers, thread_name_prefix="hl7-db")
        self._cache = matching.ListenerCache(ttl=cache_seconds)
        self.healthy_seconds = healthy_seconds
        self._healthy = threading.local()  # per database thread: its connection's last success
        self._profile_prefix = os.environ.get(PROFILE_ENV, "")
        self._profiles: dict[int, cProfile.Profile] = {}  # thread id -> its profiler
        self._loop_profile = cProfile.Profile()

    # -- lifecycle

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port 0)."""
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()

        def factory() -> HL7StreamProtocol:
            reader = HardenedReader(limit=self.max_bytes)
            return HL7StreamProtocol(reader, self._on_connect)

        self._server = await loop.create_server(factory, self.host, self.port)
        self._committers = [
            asyncio.create_task(self._commit_loop()) for _ in range(self.db_workers)
        ]
        sock = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])
        self._heartbeat = asyncio.create_task(self._heartbeat_loop())
        if self._profile_prefix:
            self._loop_profile.enable()
        return self.port

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        """Stop accepting, close connections, finish the batches in progress."""
        if self._server is not None:
            self._server.close()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        while not self._queue.empty():
            await asyncio.sleep(0.01)
        for task in self._committers:
            task.cancel()
        await asyncio.gather(*self._committers, return_exceptions=True)
        # Each worker thread closes its own database connection (Django connections belong to
        # the thread that opened them); the barrier makes every thread take exactly one.
        barrier = threading.Barrier(self.db_workers)
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(self._executor, _close_connection, barrier)
                for _ in range(self.db_workers)
            )
        )
        self._executor.shutdown(wait=True)
        if self._profile_prefix:
            self._write_profiles()

    def _write_profiles(self) -> None:
        self._loop_profile.disable()
        pstats.Stats(self._loop_profile).dump_stats(f"{self._profile_prefix}.loop.pstats")
        if self._profiles:
            db = pstats.Stats(*self._profiles.values())
            db.dump_stats(f"{self._profile_prefix}.db.pstats")
        log.warning("profiles written to %s.{loop,db}.pstats", self._profile_prefix)

    # -- database side

    def _run_batch(self, frames: list[ingest.Frame]) -> list[ingest.Outcome]:
        profile = None
        if self._profile_prefix:
            profile = self._profiles.setdefault(threading.get_ident(), cProfile.Profile())
            profile.enable()
        close_old_connections()
        healthy_at = getattr(self._healthy, "at", None)
        if healthy_at is not None and time.monotonic() - healthy_at < self.healthy_seconds:
            # Django would send `SELECT 1` before the batch's first query (CONN_HEALTH_CHECKS):
            # a round trip per batch. This connection committed a batch a moment ago, so the
            # check is skipped; after a failed batch or an idle spell it runs as usual.
            connection.health_check_done = True  # type: ignore[attr-defined]  # not in stubs
        self._healthy.at = None
        try:
            outcomes = ingest.ingest_batch(self.clinic, frames, self._cache)
            if all(o.code != "AE" for o in outcomes):
                self._healthy.at = time.monotonic()
            return outcomes
        finally:
            close_old_connections()
            if profile is not None:
                profile.disable()

    def _beat(self) -> None:
        """One heartbeat row, from a database thread (as a batch is written)."""
        close_old_connections()
        try:
            ops_services.beat(
                self.heartbeat,
                timezone.now(),
                {
                    "port": self.port,
                    "connections": self.stats.connections,
                    "frames": self.stats.frames,
                    "stored": self.stats.stored,
                    "duplicates": self.stats.duplicates,
                    "rejected": self.stats.rejected,
                    "ack_latency": self.ack_latency.as_details(),
                },
            )
        finally:
            close_old_connections()

    async def _heartbeat_loop(self) -> None:
        """Beat now and every `heartbeat_seconds`: the beat proves the event loop turns and
        the database takes writes; a failed one is logged and retried at the next tick."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(self._executor, self._beat)
            except Exception:
                log.exception("heartbeat failed")
            await asyncio.sleep(self.heartbeat_seconds)

    async def _commit_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._queue.get()
            items = [first]
            while len(items) < self.batch_size and not self._queue.empty():
                items.append(self._queue.get_nowait())
            frames = [f for f, _ in items]
            try:
                outcomes = await loop.run_in_executor(self._executor, self._run_batch, frames)
            except Exception as exc:  # ingest_batch answers its own errors; this is a last resort
                log.exception("batch failed")
                outcomes = [
                    ingest.acknowledgement(None, "AE", f"Not stored ({exc}).", err="207")
                ] * len(items)
            self.stats.batches += 1
            for (_, future), outcome in zip(items, outcomes, strict=True):
                self.stats.stored += outcome.stored
                self.stats.duplicates += outcome.duplicate
                self.stats.rejected += outcome.code != "AA"
                if not future.done():
                    future.set_result(outcome)

    async def submit(self, frame: ingest.Frame) -> ingest.Outcome:
        future: asyncio.Future[ingest.Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put((frame, future))
        return await future

    # -- connections

    def _on_connect(self, reader: HardenedReader, writer: HL7StreamWriter) -> None:
        task = asyncio.create_task(self._connection(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _connection(self, reader: HardenedReader, writer: HL7StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        self.stats.connections += 1
        log.info("connection from %s", peer)
        pending: asyncio.Queue[Pending | None] = asyncio.Queue(IN_FLIGHT_PER_CONNECTION)
        sender = asyncio.create_task(self._send_acks(writer, pending, peer))
        try:
            await self._read_frames(reader, pending, peer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # isolate: this connection ends, the listener goes on
            log.exception("connection %s failed", peer)
            self.stats.errors.append(f"{peer}: {exc!r}")
        finally:
            await pending.put(None)
            try:
                await asyncio.wait_for(sender, timeout=30)
            except Exception:
                sender.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            log.info("connection from %s closed", peer)

    async def _read_frames(
        self,
        reader: HardenedReader,
        pending: asyncio.Queue[Pending | None],
        peer: str,
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                payload = await asyncio.wait_for(reader.readframe(), self.idle_seconds)
                read_at = time.monotonic()
            except TimeoutError:
                log.info("closing idle connection %s", peer)
                return
            except IncompleteReadError:
                return  # peer closed (any partial frame was never acknowledged)
            except NotAFrame:
                log.warning("discarded bytes without a start block from %s", peer)
                continue
            except FrameTooLarge as exc:
                read_at = time.monotonic()
                self.stats.frames += 1
                header = _header_of(exc.head)
                log.warning("frame over %d bytes from %s refused", self.max_bytes, peer)
                done = loop.create_future()
                done.set_result(
                    ingest.acknowledgement(
                        header,
                        "AR",
                        f"Message larger than {self.max_bytes} bytes: refused.",
                        err="207",
                    )
                )
                await pending.put((done, read_at))
                continue
            self.stats.frames += 1
            frame = ingest.Frame(payload, peer, timezone.now())
            await pending.put((asyncio.ensure_future(self.submit(frame)), read_at))

    async def _send_acks(
        self,
        writer: HL7StreamWriter,
        pending: asyncio.Queue[Pending | None],
        peer: str,
    ) -> None:
        while True:
            item = await pending.get()
            if item is None:
                return
            future, read_at = item
            outcome = await future
            try:
                writer.writeblock(outcome.ack)
                await writer.drain()
                self.ack_latency.observe(time.monotonic() - read_at)
            except (ConnectionError, OSError):
                log.info("%s went away before its ACK", peer)
                # Keep draining so the reader is never blocked on a full queue.


def _close_connection(barrier: threading.Barrier) -> None:
    barrier.wait(timeout=30)
    connections.close_all()


def _header_of(head: bytes) -> hl7c.Header | None:
    """The MSH of a refused (oversize) frame, if its first bytes hold one."""
    start = head.rfind(hl7c.START_BLOCK)
    text, _ = hl7c.decode(head[start + 1 :] if start >= 0 else head)
    first = hl7c.normalise_segments(text).split("\r")[0]
    try:
        return hl7c.split_message(first, zone=timezone.get_current_timezone())[0]
    except Exception:
        return None


async def run(listener: Listener, ready: Any = None) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly (in-flight batches finish and are acked)."""
    port = await listener.start()
    if ready is not None:
        ready(port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await listener.stop()
