"""The media store behind product images, and image processing (validation, thumbnails).

:class:`MediaStore` is the small interface the catalog needs (put, delete, url);
:class:`LocalMediaStore` keeps files under ``Settings.media_dir`` and serves them at
``Settings.media_url`` through :data:`media_router`. An S3-compatible store would
implement the same three methods (not built yet).

Uploads are checked by decoding them with Pillow, never by trusting the declared
content type or extension; decompression bombs and oversized files are refused.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from PIL import Image, UnidentifiedImageError

from kernel.config import Settings
from kernel.errors import InvalidInput, NotFound

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"),
           "GIF": ("image/gif", "gif")}


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


class LocalMediaStore:
    """Files under a local folder; keys are relative paths made by the catalog (never by users)."""

    def __init__(self, root: Path, base_url: str):
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise NotFound("No such file.")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except (FileNotFoundError, NotFound):
            pass

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"


def media_store(settings: Settings) -> MediaStore:
    return LocalMediaStore(settings.media_dir, settings.media_url)


@dataclass
class ProcessedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes


def _bad(msg: str) -> InvalidInput:
    return InvalidInput(msg, errors=[{"loc": ["body", "file"], "msg": msg, "type": "value_error"}])


def process_image(data: bytes) -> ProcessedImage:
    """Validate an upload as a real image and make its thumbnail (CPU-bound: run in a thread)."""
    if not data:
        raise _bad("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _bad(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in FORMATS:
                raise _bad(f"unsupported image format {fmt}; use JPEG, PNG, WebP or GIF")
            if probe.width * probe.height > MAX_PIXELS:
                raise _bad("the image has too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            thumb = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            thumb.save(out, format="WEBP", quality=80)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise _bad("the file is not a readable image") from None
    content_type, extension = FORMATS[fmt]
    return ProcessedImage(data, content_type, extension, width, height, out.getvalue())


def new_keys(store_id: int, product_id: int, extension: str) -> tuple[str, str]:
    name = secrets.token_hex(8)
    base = f"{store_id}/products/{product_id}/{name}"
    return f"{base}.{extension}", f"{base}.thumb.webp"


media_router = APIRouter(include_in_schema=False)


@media_router.get("/media/{key:path}")
async def serve_media(key: str, request: Request) -> FileResponse:
    """Serve the local media store (a CDN or the S3 bucket serves it in larger deployments)."""
    store = media_store(request.app.state.settings)
    if not isinstance(store, LocalMediaStore) or "\x00" in key:
        raise NotFound("No such file.")
    path = store.path(key)
    if not path.is_file():
        raise NotFound("No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable",
                                       "X-Content-Type-Options": "nosniff"})
