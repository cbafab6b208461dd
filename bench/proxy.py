"""A loopback TCP proxy that can refuse or hang, to fail PostgreSQL or Redis on purpose.

The processes under test connect to the proxy instead of the server; the bench switches
its mode while they run, and the shared server itself is never touched:

- `pass`: bytes flow both ways;
- `refuse`: the listener is closed (new connections are refused by the system) and
  every open connection is reset, as when the server's host goes away;
- `hang`: new connections are accepted and open ones stay open, but no byte moves in
  either direction, as when a network link or the server stalls. Back to `pass`, what
  was waiting flows again (as TCP retransmits after a stall).

    proxy = Proxy(("127.0.0.1", 5432)).start()   # proxy.port: where clients connect
    proxy.set_mode("hang"); ...; proxy.set_mode("pass"); proxy.stop()

It runs an asyncio loop in a thread of its own; `set_mode` and `stop` are thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading

MODES = ("pass", "refuse", "hang")
CHUNK = 64 * 1024


class Proxy:
    def __init__(self, target: tuple[str, int], *, host: str = "127.0.0.1", port: int = 0):
        self.target, self.host, self.port = target, host, port
        self.mode = "pass"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="proxy")
        self.server: asyncio.base_events.Server | None = None
        self.flowing: asyncio.Event | None = None
        self.connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter | None]] = set()
        self.accepted = 0

    # -- control (from any thread) ----------------------------------------------------------

    def start(self) -> Proxy:
        self.thread.start()
        self._call(self._open())
        return self

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"proxy mode is one of {MODES}, not {mode!r}")
        self._call(self._switch(mode))

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self._call(self._shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # -- inside the loop --------------------------------------------------------------------

    async def _open(self) -> None:
        if self.flowing is None:
            self.flowing = asyncio.Event()
            self.flowing.set()
        self.server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def _switch(self, mode: str) -> None:
        if mode == self.mode:
            return
        if self.mode == "refuse":
            await self._open()
        self.mode = mode
        if mode == "pass":
            self.flowing.set()
        elif mode == "hang":
            self.flowing.clear()
        else:  # refuse
            self.flowing.set()
            if self.server is not None:
                self.server.close()
                self.server = None
            for client, upstream in list(self.connections):
                for writer in (client, upstream):
                    if writer is not None:
                        _reset(writer)
            self.connections.clear()

    async def _shutdown(self) -> None:
        await self._switch("refuse")
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        pair = [writer, None]
        entry = None
        try:
            await self.flowing.wait()  # a hung server does not even answer the handshake
            if self.mode == "refuse":
                _reset(writer)
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            pair[1] = up_writer
            entry = (writer, up_writer)
            self.connections.add(entry)
            await asyncio.gather(
                self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
            )
        except OSError:
            _reset(writer)
        finally:
            if entry is not None:
                self.connections.discard(entry)
            for side in pair:
                if side is not None:
                    side.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                await self.flowing.wait()  # hung: what was read waits here, nothing moves
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof():
                    writer.write_eof()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a vanished server's host does."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
