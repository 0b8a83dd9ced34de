"""The real listener on an ephemeral port: MLLP framing quirks, ACK rules, isolation, idle.

Transactional tests: the listener's database thread has its own connection, so it must see
committed rows (and its rows must be visible here).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.devices.listener import Listener
from ketaflow.devices.models import DeviceReading, InboundMessage
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ack_fields

pytestmark = pytest.mark.django_db(transaction=True)


class Running:
    """A Listener on its own event loop thread (as `hl7-listen` runs it)."""

    def __init__(self, clinic: Any, **kw: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.listener = Listener(clinic, "127.0.0.1", 0, **kw)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.listener.start(), self.loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        return sock


def read_acks(sock: socket.socket, n: int) -> list[dict[str, str]]:
    buf, acks = b"", []
    while len(acks) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        while M.MLLP_END in buf:
            block, buf = buf.split(M.MLLP_END, 1)
            acks.append(ack_fields(block[block.index(M.MLLP_START) + 1 :]))
    return acks


@pytest.fixture
def running(clinic: Any, checked_in: Any, binding: Any) -> Iterator[Running]:
    r = Running(clinic, max_bytes=64 * 1024, idle_seconds=30)
    yield r
    r.stop()


def test_one_message_is_stored_then_acknowledged(running: Running) -> None:
    with running.connect() as s:
        s.sendall(M.frame(M.ge_b40("T-1")))
        [ack] = read_acks(s, 1)
    assert ack["code"] == "AA" and ack["control_id"] == "T-1"
    assert DeviceReading.objects.get().hr == 72  # committed before the AA came back


def test_split_frames_and_two_messages_in_one_read_and_garbage_before_the_start(
    running: Running,
) -> None:
    first, second, third = (M.frame(M.ge_b40(f"T-{i}")) for i in (2, 3, 4))
    with running.connect() as s:
        s.sendall(first[:50])
        s.sendall(first[50:-1])
        s.sendall(first[-1:])  # the final 0x0D on its own
        s.sendall(b"\x00\x00garbage" + second + third)  # NULs, noise, then two frames at once
        acks = read_acks(s, 3)
    assert [(a["code"], a["control_id"]) for a in acks] == [
        ("AA", "T-2"),
        ("AA", "T-3"),
        ("AA", "T-4"),
    ]
    assert InboundMessage.objects.count() == 3


def test_malformed_and_oversize_frames_are_refused_and_the_connection_goes_on(
    running: Running,
) -> None:
    big = M.ge_b40("BIG-1") + ("NTE|1||" + "x" * 70_000 + "\r")
    with running.connect() as s:
        s.sendall(M.frame("MSH|^~\\&|A|B|||20260101||ORU^R01||P|2.5\rOBX|1|NM|8867-4||60|/min"))
        s.sendall(M.frame(big))
        s.sendall(M.frame(M.ge_b40("T-5")))
        acks = read_acks(s, 3)
    assert [a["code"] for a in acks] == ["AR", "AR", "AA"]
    assert "MSH-10" in acks[0]["text"] and acks[0]["err"].startswith("101^")
    assert acks[1]["control_id"] == "BIG-1" and "larger than" in acks[1]["text"]
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["T-5"]


def test_duplicates_over_the_wire_are_acked_and_stored_once(running: Running) -> None:
    with running.connect() as s:
        for _ in range(3):
            s.sendall(M.frame(M.ge_b40("DUP-1")))
        acks = read_acks(s, 3)
    assert [a["code"] for a in acks] == ["AA", "AA", "AA"]
    assert InboundMessage.objects.count() == 1 and DeviceReading.objects.count() == 1


def test_non_ascii_latin1_without_msh18_and_utf8_with_msh18(running: Running) -> None:
    latin = M.welch_allyn("NA-1").encode("latin-1")  # `^°F` with no MSH-18
    utf8 = M.ge_b40("NA-2", mrn="KF-000001").replace("DOE^JANE", "DØE^JÖRG").encode()
    with running.connect() as s:
        s.sendall(M.frame(latin) + M.frame(utf8))
        acks = read_acks(s, 2)
    assert [a["code"] for a in acks] == ["AA", "AA"]
    rows = {m.control_id: m for m in InboundMessage.objects.all()}
    assert rows["NA-1"].encoding == "latin-1" and "°F" in rows["NA-1"].raw
    assert rows["NA-2"].encoding == "utf-8" and "JÖRG" in rows["NA-2"].raw


def test_several_connections_at_once_and_a_broken_one_does_not_stop_the_others(
    running: Running,
) -> None:
    broken = running.connect()
    broken.sendall(M.MLLP_START + b"MSH|^~\\&|half a message")
    broken.close()  # peer vanishes mid-frame: nothing acknowledged, nothing stored
    socks = [running.connect() for _ in range(4)]
    for i, s in enumerate(socks):
        s.sendall(M.frame(M.ge_b40(f"MC-{i}")))
    acks = [read_acks(s, 1)[0] for s in socks]
    for s in socks:
        s.close()
    assert sorted(a["control_id"] for a in acks) == [f"MC-{i}" for i in range(4)]
    assert InboundMessage.objects.count() == 4


def test_an_idle_connection_is_closed(clinic: Any, checked_in: Any, binding: Any) -> None:
    r = Running(clinic, idle_seconds=0.3)
    try:
        with r.connect() as s:
            s.settimeout(20)
            assert s.recv(10) == b""  # closed by the listener, no data sent
        with r.connect() as s:  # and the listener still takes new connections
            s.sendall(M.frame(M.ge_b40("IDLE-1")))
            assert read_acks(s, 1)[0]["code"] == "AA"
    finally:
        r.stop()


def test_a_database_failure_is_answered_ae_and_the_listener_goes_on(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaflow.devices import ingest

    real = ingest._message_row
    calls = {"n": 0}

    def failing_first_attempt(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:  # the batch, then the retry of its message alone
            raise RuntimeError("connection lost")
        return real(*args)

    monkeypatch.setattr(ingest, "_message_row", failing_first_attempt)
    with running.connect() as s:
        s.sendall(M.frame(M.ge_b40("DB-1")))
        first = read_acks(s, 1)
        s.sendall(M.frame(M.ge_b40("DB-1")))  # the sender resends after AE
        second = read_acks(s, 1)
    assert first[0]["code"] == "AE" and first[0]["err"].startswith("207^")
    assert second[0]["code"] == "AA"
    assert InboundMessage.objects.count() == 1


def test_an_oversize_frame_spanning_many_reads_gets_one_refusal(running: Running) -> None:
    """Found by an attacker: a frame three times the limit, sent in pieces, then a message,
    got three ACKs (AR, AR, AA) for two messages."""
    big = M.frame(M.ge_b40("BIG-2") + ("NTE|1||" + "y" * 200_000 + "\r"))
    with running.connect() as s:
        for at in range(0, len(big), 16_384):
            s.sendall(big[at : at + 16_384])
        s.sendall(M.frame(M.ge_b40("T-6")))
        s.sendall(M.frame(M.ge_b40("T-7")))
        acks = read_acks(s, 3)
    assert [(a["code"], a["control_id"]) for a in acks] == [
        ("AR", "BIG-2"),
        ("AA", "T-6"),
        ("AA", "T-7"),
    ]
    assert sorted(InboundMessage.objects.values_list("control_id", flat=True)) == ["T-6", "T-7"]


def test_the_health_check_runs_only_after_a_failed_batch_or_an_idle_spell(
    clinic: Any, checked_in: Any, binding: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django checks a connection (`SELECT 1`, a round trip) before each batch's first query;
    the listener skips that right after a batch committed on it, and not after a failure."""
    from django.db import connections

    from ketaflow.devices import ingest

    checks: list[int] = []
    wrapper = type(connections["default"])
    real_usable = wrapper.is_usable

    def counted(self: Any) -> bool:
        checks.append(1)
        return bool(real_usable(self))

    monkeypatch.setattr(wrapper, "is_usable", counted)
    real_row = ingest._message_row
    failing = {"on": False}

    def maybe_failing(*args: Any) -> Any:
        if failing["on"]:
            raise RuntimeError("connection lost")
        return real_row(*args)

    monkeypatch.setattr(ingest, "_message_row", maybe_failing)
    r = Running(clinic, healthy_seconds=60)
    try:
        with r.connect() as s:

            def send(ctrl: str) -> str:
                s.sendall(M.frame(M.ge_b40(ctrl)))
                return read_acks(s, 1)[0]["code"]

            assert [send(f"H-{i}") for i in range(4)] == ["AA"] * 4
            assert len(checks) <= 1  # at most before the first batch, never between
            failing["on"] = True
            assert send("H-5") == "AE"
            failing["on"] = False
            before = len(checks)
            assert send("H-5") == "AA"
            assert len(checks) == before + 1  # the failed batch's connection is checked
            assert send("H-6") == "AA" and len(checks) == before + 1
    finally:
        r.stop()
    assert InboundMessage.objects.count() == 6
