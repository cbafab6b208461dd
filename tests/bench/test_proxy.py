"""The chaos bench's TCP proxy passes, refuses and hangs on demand."""

import socket
import socketserver
import threading

import pytest

from bench.proxy import Proxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture
def proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = Proxy(server.server_address).start()
    yield proxy
    proxy.stop()
    server.shutdown()
    server.server_close()


def connect(proxy) -> socket.socket:
    client = socket.create_connection(proxy.address, timeout=2)
    client.settimeout(2)
    return client


def test_in_pass_mode_bytes_flow_both_ways(proxy):
    with connect(proxy) as client:
        client.sendall(b"PING")

        assert client.recv(1024) == b"PING"


def test_refusing_resets_open_connections_and_refuses_new_ones_until_it_passes_again(proxy):
    with connect(proxy) as client:
        client.sendall(b"one")
        assert client.recv(1024) == b"one"

        proxy.set_mode("refuse")

        with pytest.raises(ConnectionError):
            client.sendall(b"two")
            if not client.recv(1024):
                raise ConnectionResetError("closed")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=2)

    proxy.set_mode("pass")

    with connect(proxy) as client:
        client.sendall(b"back")
        assert client.recv(1024) == b"back"


def test_a_hung_proxy_accepts_but_moves_nothing_until_it_passes_again(proxy):
    with connect(proxy) as early:
        proxy.set_mode("hang")
        early.sendall(b"held")
        early.settimeout(0.3)
        with pytest.raises(TimeoutError):
            early.recv(1024)
        late = connect(proxy)  # accepted all the same
        late.sendall(b"late")
        late.settimeout(0.3)
        with pytest.raises(TimeoutError):
            late.recv(1024)

        proxy.set_mode("pass")

        early.settimeout(2)
        late.settimeout(2)
        assert early.recv(1024) == b"held"
        assert late.recv(1024) == b"late"
        late.close()
