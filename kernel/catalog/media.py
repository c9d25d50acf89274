"""The media store behind product images, and image processing (validation, thumbnails).

:class:`MediaStore` is the small interface the catalog needs (put, delete, url);
:class:`LocalMediaStore` keeps files under ``Settings.media_dir`` and serves them at
``Settings.media_url`` through :data:`media_router`; :class:`S3MediaStore` puts them in
any S3-compatible bucket (``PYCOMMERCE_MEDIA_BACKEND=s3``), signing requests with
botocore's SigV4 (the optional extra ``pycommerce[s3]``) and sending them with httpx.

Uploads are checked by decoding them with Pillow, never by trusting the declared
content type or extension; decompression bombs and oversized files are refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import Request
from fastapi.responses import FileResponse
from PIL import Image, UnidentifiedImageError

from kernel.config import Settings
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.routing import KernelRouter


class PayloadTooLarge(DomainError):
    status, title, code = 413, "Content Too Large", "too-large"

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


class MediaStoreError(RuntimeError):
    """The media store refused or failed a write (a 500: the operator's configuration, not the caller)."""


class S3MediaStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…), path-style addressing."""

    def __init__(self, endpoint_url: str, bucket: str, region: str, access_key_id: str, secret_access_key: str,
                 public_url: str | None = None):
        self.endpoint_url = endpoint_url.rstrip("/")
        self.bucket = bucket
        self.region = region
        self._credentials = (access_key_id, secret_access_key)
        self.public_url = (public_url or f"{self.endpoint_url}/{bucket}").rstrip("/")

    def _object_url(self, key: str) -> str:
        from urllib.parse import quote

        return f"{self.endpoint_url}/{self.bucket}/{quote(key)}"

    def _signed_headers(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=method, url=url, data=body,
                             headers={**headers, "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
        S3SigV4Auth(Credentials(*self._credentials), "s3", self.region).add_auth(request)
        return dict(request.headers.items())

    async def _send(self, method: str, key: str, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        url = self._object_url(key)
        signed = self._signed_headers(method, url, body, headers or {})
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(method, url, content=body, headers=signed)
        if response.status_code >= 300 and not (method == "DELETE" and response.status_code == 404):
            raise MediaStoreError(f"S3 {method} {key} answered {response.status_code}")

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._send("PUT", key, data, {"Content-Type": content_type,
                                            "Cache-Control": "public, max-age=31536000, immutable"})

    async def delete(self, key: str) -> None:
        await self._send("DELETE", key)

    def url(self, key: str) -> str:
        return f"{self.public_url}/{key}"


def media_store(settings: Settings) -> MediaStore:
    if settings.media_backend == "s3":
        return S3MediaStore(settings.s3_endpoint_url, settings.s3_bucket, settings.s3_region,
                            settings.s3_access_key_id, settings.s3_secret_access_key.get_secret_value(),
                            settings.media_public_url)
    return LocalMediaStore(settings.media_dir, settings.media_public_url or settings.media_url)


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
        raise PayloadTooLarge(f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
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
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _bad("the file is not a readable image") from None
    content_type, extension = FORMATS[fmt]
    return ProcessedImage(data, content_type, extension, width, height, out.getvalue())


def new_keys(store_id: int, product_id: int, extension: str) -> tuple[str, str]:
    name = secrets.token_hex(8)
    base = f"{store_id}/products/{product_id}/{name}"
    return f"{base}.{extension}", f"{base}.thumb.webp"


media_router = KernelRouter(include_in_schema=False)


@media_router.get("/media/{key:path}")
async def serve_media(key: str, request: Request) -> FileResponse:
    """Serve the local media store (a CDN or the S3 bucket serves it in larger deployments)."""
    store = request.app.state.media
    if not isinstance(store, LocalMediaStore) or "\x00" in key:
        raise NotFound("No such file.")
    path = store.path(key)
    if not path.is_file():
        raise NotFound("No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable",
                                       "X-Content-Type-Options": "nosniff"})
