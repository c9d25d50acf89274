"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from kernel import migrate
from kernel.routing import KernelRouter

router = KernelRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and fully migrated",
            responses={503: {"description": "Not ready: the database is down or behind on migrations"}})
async def readyz(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    try:
        async with request.app.state.engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("select 1")), timeout=5)
        pending = await asyncio.to_thread(migrate.pending_heads, settings.database_url)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
                            status_code=503)
    if pending:
        return JSONResponse({"status": "unavailable", "database": "ok", "migrations": "pending",
                             "missing": sorted(pending)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "migrations": "current"})
