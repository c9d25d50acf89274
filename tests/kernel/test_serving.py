"""Serving with several workers (kernel.serving): connections are handed out in turn, a dead worker
is replaced, a stop lets requests finish, and workers never outlive their supervisor."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.plugin_server import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.support.serving_app:app"


def wait_until(condition, timeout: float = 20.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has finished; only its parent has not reaped it


def pid_of(connection: http.client.HTTPConnection, path: str = "/") -> int:
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    return json.loads(response.read())["pid"]


class Supervisor:
    def __init__(self, *args: str, workers: int = 2):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kernel.serving", *args, "--port", str(self.port), "--workers", str(workers),
             "--log-level", "warning"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def wait_ready(self, workers: int = 2) -> list[int]:
        """Until every worker answers; returns the workers' process ids."""
        def answered():
            try:
                seen = {pid_of(self.connect()) for _ in range(4 * workers)}
            except OSError:
                return None
            return len(seen) == workers and sorted(seen)
        return wait_until(answered, what="the workers to answer")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)

    def output(self) -> str:
        return self.process.stdout.read() if self.process.stdout else ""


@pytest.fixture
def supervisor():
    started: list[Supervisor] = []

    def start(*args: str, workers: int = 2) -> Supervisor:
        started.append(Supervisor(*args, workers=workers))
        return started[-1]

    yield start
    for each in started:
        for worker in children(each.process.pid):
            os.kill(worker, signal.SIGKILL)
        each.process.kill()
        each.process.wait()


def test_connections_are_handed_to_the_workers_in_turn_and_stay_there(supervisor):
    server = supervisor(APP)
    workers = server.wait_ready()
    connections = [server.connect() for _ in range(6)]
    held = [{pid_of(connection) for _ in range(5)} for connection in connections]

    assert all(len(pids) == 1 for pids in held), "a keep-alive connection stays with one worker"
    assert Counter(pid for pids in held for pid in pids) == {workers[0]: 3, workers[1]: 3}
    assert server.stop() == 0


def test_a_worker_that_dies_is_replaced(supervisor):
    server = supervisor(APP)
    first, second = server.wait_ready()
    os.kill(first, signal.SIGKILL)

    replacement = wait_until(lambda: [pid for pid in children(server.process.pid) if pid not in (first, second)],
                             what="a new worker")[0]
    assert sorted(server.wait_ready()) == sorted([second, replacement])
    assert server.process.poll() is None
    assert server.stop() == 0


def test_stopping_lets_a_request_in_flight_finish(supervisor):
    server = supervisor(APP)
    workers = server.wait_ready()
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(pid_of(server.connect(), "/slow")))
    request.start()
    time.sleep(0.2)  # the request is in a worker's hands

    assert server.stop() == 0
    request.join(10)
    assert answers and answers[0] in workers
    assert not any(alive(pid) for pid in workers)
    with pytest.raises(ConnectionRefusedError):
        pid_of(server.connect())


def test_workers_stop_when_their_supervisor_is_killed(supervisor):
    server = supervisor(APP)
    workers = server.wait_ready()
    server.process.kill()
    server.process.wait()

    wait_until(lambda: not any(alive(pid) for pid in workers), what="the orphaned workers to stop")


def test_an_app_that_cannot_start_stops_the_server_with_an_error(supervisor):
    server = supervisor("tests.support.serving_app:broken", "--factory")

    assert server.process.wait(timeout=40) != 0
    output = server.output()
    assert "this app cannot be made" in output
    assert "before its app started: stopping" in output


def test_pycommerce_serve_with_two_workers_runs_them_under_the_supervisor(tmp_path):
    """``pycommerce serve --workers 2`` runs the platform under this supervisor, not uvicorn's own workers."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PYCOMMERCE_DATABASE_URL"}
    env.update(PYCOMMERCE_VAR_DIR=str(tmp_path / "var"), PYCOMMERCE_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "kernel.cli", "serve", "--workers", "2", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def healthy():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except OSError:
                return False

        wait_until(healthy, timeout=60, what="/healthz")
        workers = wait_until(lambda: len(children(process.pid)) == 2 and children(process.pid), what="two workers")
        assert all("kernel.serving" in Path(f"/proc/{pid}/cmdline").read_text() for pid in workers)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0, process.stdout.read()
    finally:
        for worker in children(process.pid):
            os.kill(worker, signal.SIGKILL)
        process.kill()
        process.wait()
