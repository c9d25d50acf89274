"""A tiny ASGI app for the serving tests: it answers with the id of the process that served the
request, so a test can tell which worker holds a connection. ``/slow`` takes half a second."""

from __future__ import annotations

import asyncio
import json
import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(0.5)
    body = json.dumps({"pid": os.getpid()}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def broken():
    """A factory that fails, as an app whose import or set-up breaks does."""
    raise RuntimeError("this app cannot be made")
