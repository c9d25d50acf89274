"""A real second process: uvicorn serving the app with fixture plugins registered.

    python -m tests.support.plugin_server PORT tests.plugins.greeter:greeter ...

Configuration comes from the environment (PYCOMMERCE_DATABASE_URL, …), as in production.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx


def main() -> None:
    import uvicorn

    from kernel.app import create_app
    from kernel.config import Settings
    from kernel.plugins import get_plugin_manager, register_plugin

    port = int(sys.argv[1])
    pm = get_plugin_manager()
    for spec in sys.argv[2:]:
        module, plugin_id = spec.split(":")
        register_plugin(pm, importlib.import_module(module), plugin_id, distribution="tests")
    uvicorn.run(create_app(Settings()), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def plugin_server(settings, database_url: str, plugins: list[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the server (``env``: more configuration), wait until /healthz answers, yield its base URL;
    stop it afterwards."""
    port = free_port()
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": database_url,
           "PYCOMMERCE_PLATFORM_DATABASE_URL": settings.platform_database_url, "PYCOMMERCE_ENV": "test",
           "PYCOMMERCE_SECRET_KEY": settings.secret_key.get_secret_value(),
           "PYCOMMERCE_VAR_DIR": str(settings.var_dir), "PYCOMMERCE_LOG_LEVEL": "WARNING", **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "tests.support.plugin_server", str(port), *plugins],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # start-up wait, not an assertion about speed
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stdout.read().decode(errors='replace')}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
