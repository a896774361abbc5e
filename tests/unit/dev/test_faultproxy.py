"""The TCP fault proxy against a local echo server, one test per mode."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner

from parcelwatch.dev.faultproxy import (
    Fault,
    FaultProxy,
    Mode,
    ProxyThread,
    parse_fault,
    proxy_command,
)

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    running = FaultProxy(("127.0.0.1", server.sockets[0].getsockname()[1]))
    await running.start()
    yield running
    await running.close()
    server.close()
    await server.wait_closed()


async def _connect(proxy: FaultProxy) -> Stream:
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def _round_trip(stream: Stream, data: bytes, timeout: float = 5.0) -> bytes:
    reader, writer = stream
    writer.write(data)
    await writer.drain()
    async with asyncio.timeout(timeout):
        return await reader.readexactly(len(data))


async def test_pass_through_forwards_both_ways(proxy: FaultProxy) -> None:
    stream = await _connect(proxy)
    assert await _round_trip(stream, b"hello") == b"hello"
    assert proxy.connections == 1
    stream[1].close()


async def test_end_of_input_passes_through_and_the_reply_still_arrives(
    proxy: FaultProxy,
) -> None:
    reader, writer = await _connect(proxy)
    writer.write(b"last words")
    writer.write_eof()
    async with asyncio.timeout(5):
        assert await reader.read() == b"last words"  # then the echo server's end
    writer.close()


async def test_delay_holds_each_chunk_in_both_directions(proxy: FaultProxy) -> None:
    stream = await _connect(proxy)
    proxy.set(Fault(Mode.DELAY, delay=0.3))
    started = time.monotonic()
    assert await _round_trip(stream, b"slow") == b"slow"
    assert time.monotonic() - started >= 0.55  # 0.3 s out, 0.3 s back
    proxy.heal()
    started = time.monotonic()
    assert await _round_trip(stream, b"fast") == b"fast"
    assert time.monotonic() - started < 0.25
    stream[1].close()


async def test_heal_cuts_a_pending_delay_short(proxy: FaultProxy) -> None:
    stream = await _connect(proxy)
    proxy.set(Fault(Mode.DELAY, delay=30.0))
    trip = asyncio.create_task(_round_trip(stream, b"waiting"))
    await asyncio.sleep(0.2)
    proxy.heal()
    assert await trip == b"waiting"
    stream[1].close()


async def test_black_hole_forwards_nothing_until_healed_and_loses_nothing(
    proxy: FaultProxy,
) -> None:
    opened = await _connect(proxy)
    assert await _round_trip(opened, b"before") == b"before"
    proxy.set(Fault(Mode.BLACK_HOLE))
    fresh = await _connect(proxy)  # accepted, like a black hole that answers SYN
    for stream in (opened, fresh):
        with pytest.raises(TimeoutError):
            await _round_trip(stream, b"lost?", timeout=0.5)
    proxy.heal()
    for stream in (opened, fresh):
        async with asyncio.timeout(5):
            assert await stream[0].readexactly(5) == b"lost?"
        stream[1].close()


async def test_reset_aborts_open_and_new_connections_with_rst(proxy: FaultProxy) -> None:
    opened = await _connect(proxy)
    assert await _round_trip(opened, b"ok") == b"ok"
    proxy.set(Fault(Mode.RESET))
    with pytest.raises(ConnectionResetError):
        await _round_trip(opened, b"x")
    fresh = await _connect(proxy)
    with pytest.raises(ConnectionResetError):
        await _round_trip(fresh, b"x")
    proxy.heal()
    healed = await _connect(proxy)
    assert await _round_trip(healed, b"back") == b"back"
    healed[1].close()


async def test_throttle_limits_bytes_per_second(proxy: FaultProxy) -> None:
    stream = await _connect(proxy)
    proxy.set(Fault(Mode.THROTTLE, rate=4000))
    payload = bytes(range(256)) * 8  # 2048 bytes: at least half a second each way
    started = time.monotonic()
    assert await _round_trip(stream, payload) == payload
    assert time.monotonic() - started >= 0.45
    stream[1].close()


async def test_upstream_down_closes_the_client_connection(proxy: FaultProxy) -> None:
    proxy.upstream = ("127.0.0.1", 1)  # nothing listens on port 1
    reader, writer = await _connect(proxy)
    async with asyncio.timeout(5):
        assert await reader.read(10) == b""
    writer.close()


async def test_close_ends_every_connection_and_stops_listening(proxy: FaultProxy) -> None:
    reader, writer = await _connect(proxy)
    assert await _round_trip((reader, writer), b"x") == b"x"
    port = proxy.port
    await proxy.close()
    with pytest.raises(ConnectionResetError):
        async with asyncio.timeout(5):
            await reader.read(10)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    writer.close()


@pytest.mark.parametrize(
    ("mode", "field"), [(Mode.DELAY, "delay"), (Mode.THROTTLE, "rate")], ids=str
)
def test_fault_needs_a_positive_parameter(mode: Mode, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Fault(mode)


def test_proxy_thread_drives_proxies_from_synchronous_code() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        threaded = ProxyThread()
        try:
            proxy = threaded.start(server.getsockname())
            threaded.set(proxy, Fault(Mode.RESET))
            assert threaded.call(lambda: proxy.fault.mode) is Mode.RESET
            with (  # the RST may come before connect() returns
                pytest.raises(ConnectionResetError),
                socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client,
            ):
                client.recv(1)
        finally:
            threaded.close()


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("forward", Fault()),
        ("black_hole", Fault(Mode.BLACK_HOLE)),
        ("reset\n", Fault(Mode.RESET)),
        ("delay 2.5", Fault(Mode.DELAY, delay=2.5)),
        ("throttle 512", Fault(Mode.THROTTLE, rate=512)),
    ],
)
def test_parse_fault_reads_a_mode_and_its_parameter(text: str, fault: Fault) -> None:
    assert parse_fault(text) == fault


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "unknown mode"),
        ("drop", "unknown mode"),
        ("delay", "takes 1 argument"),
        ("reset now", "takes 0 argument"),
        ("throttle 0", "rate > 0"),
        ("delay soon", "could not convert"),
    ],
)
def test_parse_fault_rejects_bad_input_clearly(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_fault(text)


def test_cli_switches_mode_per_line_and_stops_at_end_of_input() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        upstream = f"127.0.0.1:{server.getsockname()[1]}"
        result = CliRunner().invoke(
            proxy_command, ["--upstream", upstream], input="delay 0.5\nbogus\n\nreset\n"
        )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(f"-> {upstream}: forward")
    assert lines[1:] == [
        "now delay",
        "unknown mode 'bogus': one of " + ", ".join(Mode),
        "now reset",
    ]


def test_cli_refuses_a_bad_first_mode() -> None:
    result = CliRunner().invoke(proxy_command, ["--upstream", "127.0.0.1:1", "--fault", "x"])
    assert result.exit_code == 2
    assert "unknown mode 'x'" in result.output
