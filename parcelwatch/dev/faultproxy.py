"""A TCP fault proxy (asyncio streams) for the fault-injection suite.

It listens on a loopback port and forwards every connection to an upstream
``host:port``. Its mode changes at runtime, for open and new connections alike:

- ``forward``: pass-through (healed);
- ``delay``: hold every chunk, in both directions, ``delay`` seconds before forwarding it;
- ``black_hole``: accept, then forward nothing (bytes wait in the kernel buffers and flow
  again, in order, once healed, like a network partition that heals);
- ``reset``: abort open connections and every new one with a TCP RST (``SO_LINGER`` 0);
- ``throttle``: forward at most ``rate`` bytes per second per direction and connection.

:class:`ProxyThread` runs proxies on a background event loop for synchronous callers;
``parcelwatch dev proxy`` runs one by hand, its mode typed on stdin.
"""

import asyncio
import contextlib
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import click

T = TypeVar("T")

_CHUNK = 65536
_SLICES_PER_SECOND = 10  # throttle granularity


class Mode(StrEnum):
    FORWARD = "forward"
    DELAY = "delay"
    BLACK_HOLE = "black_hole"
    RESET = "reset"
    THROTTLE = "throttle"


@dataclass(frozen=True)
class Fault:
    """A mode and its parameter: ``delay`` in seconds, ``rate`` in bytes per second."""

    mode: Mode = Mode.FORWARD
    delay: float = 0.0
    rate: int = 0

    def __post_init__(self) -> None:
        if self.mode is Mode.DELAY and self.delay <= 0:
            raise ValueError("delay mode needs delay > 0 seconds")
        if self.mode is Mode.THROTTLE and self.rate <= 0:
            raise ValueError("throttle mode needs rate > 0 bytes per second")


HEALED = Fault()


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close at once, sending RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """Forwards ``host:port`` (``port`` 0: any free one) to ``upstream``.

    ``upstream`` may be changed while it runs; new connections use the new address.
    """

    def __init__(self, upstream: tuple[str, int], *, host: str = "127.0.0.1", port: int = 0):
        self.upstream = upstream
        self._host = host
        self._port = port
        self._fault = HEALED
        self._healed = asyncio.Event()
        self._healed.set()
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def fault(self) -> Fault:
        return self._fault

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> str:
        return f"{self._host}:{self.port}"

    @property
    def connections(self) -> int:
        """Client connections currently open."""
        return len(self._tasks)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        self.set(Fault(Mode.RESET))  # wakes and ends every connection
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def set(self, fault: Fault) -> None:
        """Switch mode; applies at once to open connections."""
        self._fault = fault
        if fault.mode is Mode.BLACK_HOLE:
            self._healed.clear()
        else:
            self._healed.set()
        if fault.mode is Mode.RESET:
            for writer in list(self._writers):
                _abort_with_rst(writer)
        self._changed.set()
        self._changed = asyncio.Event()

    def heal(self) -> None:
        self.set(HEALED)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refused(writer):
            return
        await self._healed.wait()
        if self._refused(writer):  # switched to reset while black-holed
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            return
        self._writers.add(up_writer)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        try:
            # Both directions run to their end of input; a reset of either ends both.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            self._writers.discard(up_writer)
            up_writer.transport.abort()

    def _refused(self, writer: asyncio.StreamWriter) -> bool:
        """In reset mode: RST the connection and say so."""
        if self._fault.mode is not Mode.RESET:
            return False
        _abort_with_rst(writer)
        return True

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Forward one direction until its end of input, then pass the end on."""
        while True:
            await self._healed.wait()
            data = await reader.read(_CHUNK)
            if not data:
                break
            await self._forward(data, writer)
        if writer.can_write_eof():
            writer.write_eof()

    async def _forward(self, data: bytes, writer: asyncio.StreamWriter) -> None:
        while data:
            await self._healed.wait()
            fault = self._fault
            if fault.mode is Mode.RESET:
                raise ConnectionResetError("proxy in reset mode")
            if fault.mode is Mode.DELAY:
                await self._sleep(fault.delay)
                if self._fault != fault:
                    continue  # switched while waiting: apply the new mode instead
                piece = data
            elif fault.mode is Mode.THROTTLE:
                piece = data[: max(1, fault.rate // _SLICES_PER_SECOND)]
                await self._sleep(len(piece) / fault.rate)
                if self._fault != fault:
                    continue
            else:
                piece = data
            writer.write(piece)
            await writer.drain()
            data = data[len(piece) :]

    async def _sleep(self, seconds: float) -> None:
        """Sleep, waking early when the mode changes."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)


class ProxyThread:
    """Fault proxies on an event loop in a daemon thread, driven from synchronous code."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._proxies: list[FaultProxy] = []

    def call(self, function: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``function`` on the proxies' loop and return its result."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(function())
            except BaseException as exc:  # handed back to the caller
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def start(self, upstream: tuple[str, int], port: int = 0) -> FaultProxy:
        async def create() -> FaultProxy:
            proxy = FaultProxy(upstream, port=port)
            await proxy.start()
            return proxy

        proxy = asyncio.run_coroutine_threadsafe(create(), self._loop).result(10.0)
        self._proxies.append(proxy)
        return proxy

    def set(self, proxy: FaultProxy, fault: Fault) -> None:
        self.call(lambda: proxy.set(fault))

    def close(self) -> None:
        """Close every proxy, then stop the loop and its thread."""

        async def close_all() -> None:
            await asyncio.gather(*(proxy.close() for proxy in self._proxies))

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(30.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        self._loop.close()


def parse_fault(text: str) -> Fault:
    """``forward``, ``black_hole``, ``reset``, ``delay SECONDS`` or ``throttle BYTES_PER_S``."""
    words = text.split()
    modes = ", ".join(mode.value for mode in Mode)
    if not words or words[0] not in {mode.value for mode in Mode}:
        raise ValueError(f"unknown mode {text.strip()!r}: one of {modes}")
    mode, arguments = Mode(words[0]), words[1:]
    wanted = 1 if mode in (Mode.DELAY, Mode.THROTTLE) else 0
    if len(arguments) != wanted:
        raise ValueError(f"{mode.value} takes {wanted} argument(s), got {len(arguments)}")
    if mode is Mode.DELAY:
        return Fault(mode, delay=float(arguments[0]))
    if mode is Mode.THROTTLE:
        return Fault(mode, rate=int(arguments[0]))
    return Fault(mode)


@click.command("proxy")
@click.option("--upstream", required=True, help="HOST:PORT to forward to.")
@click.option("--port", type=int, default=0, show_default=True, help="Port to listen on.")
@click.option("--fault", "initial", default="forward", show_default=True, help="First mode.")
def proxy_command(upstream: str, port: int, initial: str) -> None:
    """A TCP fault proxy on 127.0.0.1 in front of UPSTREAM. Type a mode and Enter to
    switch: forward, black_hole, reset, delay SECONDS, throttle BYTES_PER_SECOND.
    Ctrl-D (end of input) or Ctrl-C stops it."""
    host, _, upstream_port = upstream.rpartition(":")
    try:
        fault = parse_fault(initial)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    asyncio.run(_serve_cli((host or "127.0.0.1", int(upstream_port)), port, fault))


async def _serve_cli(upstream: tuple[str, int], port: int, fault: Fault) -> None:
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lines.put_nowait, None)

    def read_stdin() -> None:  # a daemon thread: a blocked read never delays the exit
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)  # end of input: stop

    threading.Thread(target=read_stdin, daemon=True).start()
    proxy = FaultProxy(upstream, port=port)
    await proxy.start()
    proxy.set(fault)
    click.echo(f"{proxy.address} -> {upstream[0]}:{upstream[1]}: {fault.mode.value}")
    try:
        while (line := await lines.get()) is not None:
            if not line.strip():
                continue
            try:
                proxy.set(parse_fault(line))
            except ValueError as exc:
                click.echo(str(exc), err=True)
                continue
            click.echo(f"now {proxy.fault.mode.value}")
    finally:
        await proxy.close()
