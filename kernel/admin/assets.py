"""The dashboard's static files (vendored Bootstrap and Chart.js, its own CSS and JS), served by the app.

Each URL carries a digest of the file's content (``/admin/static/<digest>/<path>``), so a file may be
cached for a year: a changed file has a new URL. A request for an old digest answers 404 rather than
serving new content under an old name.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Path
from fastapi.responses import FileResponse

from kernel.errors import NotFound
from kernel.routing import KernelRouter

STATIC_DIR = FilePath(__file__).resolve().parent / "static"
PREFIX = "/admin/static"
LONG_CACHE = "public, max-age=31536000, immutable"

router = KernelRouter(include_in_schema=False)


@functools.lru_cache(maxsize=256)  # bounded: names come from URLs
def _digest(name: str) -> str | None:
    path = (STATIC_DIR / name).resolve()
    if not path.is_file() or STATIC_DIR not in path.parents:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    """The long-cacheable URL of a static file (``asset_url('admin.css')`` in templates)."""
    digest = _digest(name)
    if digest is None:
        raise LookupError(f"no admin static file {name!r}")
    return f"{PREFIX}/{digest}/{name}"


@router.get(PREFIX + "/{digest}/{name:path}")
async def static_file(digest: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")],
                      name: Annotated[str, Path(max_length=200)]) -> FileResponse:
    if _digest(name) != digest:
        raise NotFound("No such file.")
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": LONG_CACHE})
