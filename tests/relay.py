"""A TCP relay between a kiosk and the test PostgreSQL that can fail the way networks do:
be down (nothing listens: connections are refused), swallow everything (a black hole), cut a
connection in the middle of a large message, or go silent after one (TLS passes through
untouched)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class Relay:
    """Listens on 127.0.0.1 (``port``) and relays to ``target_port``. Set ``mode`` to
    "relay", "black-hole", "cut", "freeze" or "lose-ack" ("cut" and "freeze" act on the
    first message from the kiosk larger than ``big`` bytes; "lose-ack" lets that message
    and the kiosk's next one, its COMMIT, through, then drops the server's answer and the
    connection); ``down()`` stops listening, ``up()`` starts again on the same port."""

    def __init__(self, target_port: int, big: int = 2000) -> None:
        self.target_port = target_port
        self.big = big
        self.mode = "relay"
        self.tripped = threading.Event()
        self._answered = threading.Event()  # the server has begun answering the big one
        self._commit_sent = threading.Event()
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self.port = 0
        self.up()

    def up(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def down(self) -> None:
        # shutdown first: a close alone leaves the socket listening while a thread waits in
        # accept() on it (Linux).
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            if self.mode == "black-hole":
                continue  # accepted, never read, never answered
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets.append(server)
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_kiosk: bool) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not from_kiosk and self._commit_sent.is_set():
                    for s in (src, dst):  # the server's answer to COMMIT never arrives
                        s.shutdown(socket.SHUT_RDWR)
                    break
                if not from_kiosk and self.tripped.is_set():
                    self._answered.set()
                # The kiosk's first message once the server answered its batch: COMMIT (the
                # batch itself may come in several pieces before that).
                if from_kiosk and self.mode == "lose-ack" and self._answered.is_set():
                    self._commit_sent.set()  # (before it goes: the answer may come fast)
                    dst.sendall(data)
                    continue
                if from_kiosk and len(data) > self.big and self.mode == "lose-ack":
                    self.tripped.set()  # (set before it goes, as the answer may come fast)
                if from_kiosk and len(data) > self.big and self.mode in ("cut", "freeze"):
                    self.tripped.set()
                    if self.mode == "cut":
                        dst.sendall(data[: len(data) // 2])  # half a message, then nothing
                        for s in (src, dst):
                            s.shutdown(socket.SHUT_RDWR)
                        break
                    self._closed.wait()  # silent: both ends stay open, nothing moves
                    break
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed.set()
        self.down()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()


@contextlib.contextmanager
def relay(target_port: int, mode: str = "relay") -> Iterator[Relay]:
    r = Relay(target_port)
    r.mode = mode
    try:
        yield r
    finally:
        r.close()
