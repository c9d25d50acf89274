"""Serving with several worker processes: each new connection handed to the next worker in turn.

uvicorn's ``--workers`` has every worker accept from one shared listening socket, and whichever
worker gets there first takes the connection. Clients that keep their connections open (a reverse
proxy's pool of upstream connections, HTTP keep-alive, a load generator) then stay wherever chance
put them: 16 connections over two workers can split 10/6 or 14/2, and the worker holding more
queues its requests behind each other while the other has time to spare, which is what the slowest
answers wait for (docs/decisions/serving-connection-handoff.md). Node's ``cluster`` module hands
connections out round robin from its primary process for the same reason.

Here a small supervisor process owns the listening socket. It accepts each connection and passes
its file descriptor to the next worker over a Unix socket pair (``SCM_RIGHTS``); the worker
attaches it to its uvicorn server as if it had accepted the connection itself. The supervisor
touches a connection once, when it opens: the requests on it go straight to the worker. A worker
that dies is started again (connections handed to it and not yet taken are lost with it); one that
dies before its app has started (the app cannot be imported, say) stops the whole server, since a
new one would fail the same way. SIGTERM or SIGINT to the supervisor closes the listening socket
and lets every worker finish its requests (uvicorn's graceful shutdown), for up to
``STOP_TIMEOUT_SECONDS``. A supervisor killed outright closes its end of every channel; the
workers see that and stop.

    pycommerce serve --workers 2          # uses this
    python -m kernel.serving kernel.app:create_app --factory --workers 2 --port 8000
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

logger = logging.getLogger("pycommerce.serving")

# How long the supervisor waits for its workers to finish their requests when asked to stop.
STOP_TIMEOUT_SECONDS = 30.0


def can_balance() -> bool:
    """Whether this platform can pass connections between processes (POSIX, not Windows)."""
    return hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


@dataclass(frozen=True)
class ServeOptions:
    """What every worker's uvicorn is started with."""

    app: str
    factory: bool = False
    log_level: str = "info"
    loop: str = "auto"
    http: str = "auto"


# --- The supervisor ----------------------------------------------------------------------------

_READY = b"ready"  # what a worker says on its channel once its app has started


@dataclass
class _Worker:
    process: subprocess.Popen
    channel: socket.socket  # the supervisor's end of the worker's socket pair
    ready: bool = False


def _start_worker(options: ServeOptions) -> _Worker:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    command = [sys.executable, "-m", "kernel.serving", "--worker-channel", str(theirs.fileno()),
               "--log-level", options.log_level, "--loop", options.loop, "--http", options.http, options.app]
    if options.factory:
        command.insert(-1, "--factory")
    process = subprocess.Popen(command, pass_fds=[theirs.fileno()])
    theirs.close()
    ours.setblocking(False)  # a worker that stopped reading is skipped once its queue is full, not waited for
    return _Worker(process, ours)


def _stop_workers(workers: list[_Worker], timeout: float) -> None:
    """Ask every worker to finish its requests and stop; kill those still running after ``timeout``."""
    for worker in workers:
        worker.channel.close()
        if worker.process.poll() is None:
            worker.process.terminate()
    deadline = time.monotonic() + timeout
    for worker in workers:
        try:
            worker.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.error("worker %d did not stop within %.0f s: killed", worker.process.pid, timeout)
            worker.process.kill()
            worker.process.wait()


class _Supervisor:
    """Accepts connections and hands them out; keeps the workers running (see the module's docstring)."""

    def __init__(self, listener: socket.socket, options: ServeOptions, count: int):
        self.listener = listener
        self.options = options
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.turn = 0
        self.exit_code: int | None = None
        self.selector.register(listener, selectors.EVENT_READ)
        for _ in range(count):
            self.workers.append(self._started_worker())

    def _started_worker(self) -> _Worker:
        worker = _start_worker(self.options)
        self.selector.register(worker.channel, selectors.EVENT_READ, worker)
        return worker

    def hear_from(self, worker: _Worker) -> None:
        """A worker's channel spoke: it is ready, or it closed because the worker is gone."""
        try:
            message = worker.channel.recv(16)
        except OSError:
            message = b""
        if message == _READY:
            worker.ready = True
            return
        if message:
            return
        self.selector.unregister(worker.channel)
        worker.channel.close()
        code = worker.process.wait()
        if not worker.ready:  # a new one would fail the same way
            logger.error("worker %d exited with %d before its app started: stopping", worker.process.pid, code)
            self.exit_code = code or 1
            return
        logger.warning("worker %d exited with %d: starting another", worker.process.pid, code)
        self.workers[self.workers.index(worker)] = self._started_worker()

    def hand_out_waiting_connections(self) -> None:
        """Accept every connection waiting on the listener, each going to the next worker."""
        while True:
            try:
                connection, _address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: try again on the next round
                logger.error("accept failed: %s", error)
                return
            with connection:  # the worker holds its own copy once handed
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.hand_to_next_worker(connection)

    def hand_to_next_worker(self, connection: socket.socket) -> None:
        for _ in range(len(self.workers)):
            worker = self.workers[self.turn]
            self.turn = (self.turn + 1) % len(self.workers)
            try:
                socket.send_fds(worker.channel, [b"c"], [connection.fileno()])
                return
            except OSError:  # that worker is going (its channel's closing replaces it), or its queue is full
                continue
        logger.error("no worker could take a connection: it is closed")

    def run(self) -> int:
        wake_read, wake_write = socket.socketpair()
        for end in (wake_read, wake_write):
            end.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno())
        stopping: list[int] = []
        handlers = {number: signal.signal(number, lambda number, _frame: stopping.append(number))
                    for number in (signal.SIGTERM, signal.SIGINT)}
        self.selector.register(wake_read, selectors.EVENT_READ)
        try:
            while not stopping and self.exit_code is None:
                for key, _events in self.selector.select():
                    if key.fileobj is self.listener:
                        self.hand_out_waiting_connections()
                    elif key.fileobj is wake_read:
                        wake_read.recv(64)
                    elif self.exit_code is None:
                        self.hear_from(key.data)
        finally:
            self.selector.close()
            self.listener.close()
            _stop_workers(self.workers, STOP_TIMEOUT_SECONDS)
            signal.set_wakeup_fd(previous_wakeup)
            for number, handler in handlers.items():
                signal.signal(number, handler)
            wake_read.close()
            wake_write.close()
        return self.exit_code or 0


def serve_balanced(options: ServeOptions, *, host: str, port: int, workers: int, backlog: int = 2048) -> int:
    """Serve ``options.app`` on ``host:port`` with ``workers`` processes, connections handed out in
    turn (see the module's docstring). Returns the exit code: 0 after SIGTERM or SIGINT."""
    if workers < 1:
        raise ValueError("at least one worker is needed")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=backlog)
    listener.setblocking(False)
    logger.info("serving %s on %s:%d with %d workers, connections handed out in turn",
                options.app, host, listener.getsockname()[1], workers)
    return _Supervisor(listener, options, workers).run()


# --- A worker ----------------------------------------------------------------------------------


def _handed_server_class():
    import uvicorn

    class HandedServer(uvicorn.Server):
        """A uvicorn server that listens on nothing and serves the connections the supervisor
        hands it on ``channel``."""

        def __init__(self, config: uvicorn.Config, channel: socket.socket):
            super().__init__(config)
            self.channel = channel
            self.attaching: set[asyncio.Task] = set()

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=[])
            if self.should_exit:
                return
            loop = asyncio.get_running_loop()
            # What uvicorn's own listening server builds for each connection it accepts.
            protocol = functools.partial(self.config.http_protocol_class, config=self.config,
                                         server_state=self.server_state, app_state=self.lifespan.state)
            self.channel.setblocking(False)
            loop.add_reader(self.channel.fileno(), self._take_connections, loop, protocol)
            self.channel.send(_READY)

        def _take_connections(self, loop: asyncio.AbstractEventLoop, protocol) -> None:
            try:
                message, fds, _flags, _address = socket.recv_fds(self.channel, 16, 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:  # the supervisor is gone: no more connections will come
                self._stop_taking(loop)
                self.should_exit = True
                return
            for fd in fds:
                task = loop.create_task(self._attach(loop, protocol, socket.socket(fileno=fd)))
                self.attaching.add(task)
                task.add_done_callback(self.attaching.discard)

        async def _attach(self, loop: asyncio.AbstractEventLoop, protocol, connection: socket.socket) -> None:
            try:
                await loop.connect_accepted_socket(protocol, connection)
            except OSError as error:  # the client went away while the connection was handed over
                logger.debug("a handed connection could not be attached: %s", error)
                connection.close()

        def _stop_taking(self, loop: asyncio.AbstractEventLoop) -> None:
            if self.channel.fileno() != -1:
                loop.remove_reader(self.channel.fileno())
                self.channel.close()

        async def shutdown(self, sockets=None) -> None:
            self._stop_taking(asyncio.get_running_loop())
            await super().shutdown(sockets=sockets)

    return HandedServer


def run_worker(options: ServeOptions, channel_fd: int) -> None:
    import uvicorn

    config = uvicorn.Config(options.app, factory=options.factory, loop=options.loop, http=options.http,
                            access_log=False, log_level=options.log_level)
    os.set_inheritable(channel_fd, False)  # it was passed down to this process; not to its own children
    server = _handed_server_class()(config, socket.socket(fileno=channel_fd))
    server.run(sockets=[])
    if not server.started:
        sys.exit(3)  # uvicorn's code for a failed start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kernel.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("app", help="The ASGI app, as module:attribute.")
    parser.add_argument("--factory", action="store_true", help="The attribute is a function that makes the app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--loop", default="auto", help="uvicorn's event loop: auto, asyncio or uvloop.")
    parser.add_argument("--http", default="auto", help="uvicorn's HTTP parser: auto, h11 or httptools.")
    parser.add_argument("--worker-channel", type=int, help=argparse.SUPPRESS)  # set by the supervisor
    args = parser.parse_args(argv)
    options = ServeOptions(args.app, factory=args.factory, log_level=args.log_level, loop=args.loop, http=args.http)
    if args.worker_channel is not None:
        run_worker(options, args.worker_channel)
        return 0
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    return serve_balanced(options, host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
