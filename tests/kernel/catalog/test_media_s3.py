"""The S3-compatible media store, against a local S3 server (moto in server mode on 127.0.0.1)."""

from __future__ import annotations

import socket

import boto3
import httpx
import pytest
from asgi_lifespan import LifespanManager
from moto.server import ThreadedMotoServer

from kernel.app import create_app
from kernel.catalog.media import S3MediaStore
from tests.support.makers_catalog import make_product, png_bytes

BUCKET = "pyc-media"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-key",
                     aws_secret_access_key="test-secret").create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def bucket(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-key",
                        aws_secret_access_key="test-secret")


async def test_s3_store_puts_and_deletes_objects(s3_endpoint):
    store = S3MediaStore(s3_endpoint, BUCKET, "us-east-1", "test-key", "test-secret")
    await store.put("1/products/2/a b.png", b"\x89PNG data", "image/png")
    stored = bucket(s3_endpoint).get_object(Bucket=BUCKET, Key="1/products/2/a b.png")
    assert stored["Body"].read() == b"\x89PNG data" and stored["ContentType"] == "image/png"
    assert store.url("1/products/2/x.png") == f"{s3_endpoint}/{BUCKET}/1/products/2/x.png"
    await store.delete("1/products/2/a b.png")
    await store.delete("1/products/2/a b.png")  # deleting twice is fine
    listed = bucket(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix="1/products/2/")
    assert listed.get("KeyCount", 0) == 0


async def test_uploads_through_the_api_land_in_the_bucket(s3_endpoint, settings, factory):
    s3_settings = settings.model_copy(update={
        "media_backend": "s3", "s3_endpoint_url": s3_endpoint, "s3_bucket": BUCKET,
        "s3_access_key_id": "test-key", "s3_secret_access_key": settings.secret_key,
        "media_public_url": "https://cdn.example/media"})
    app = create_app(s3_settings)
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    product = await make_product(factory, store)
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            response = await c.post(f"/api/v1/stores/{store.slug}/products/{product.id}/images",
                                    headers=manager.headers, files={"file": ("p.png", png_bytes(), "image/png")})
            assert response.status_code == 201, response.text
            image = response.json()
            assert image["url"].startswith("https://cdn.example/media/")
            key = image["url"].removeprefix("https://cdn.example/media/")
            thumb = image["thumbnail_url"].removeprefix("https://cdn.example/media/")
            assert bucket(s3_endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read() == png_bytes()
            assert bucket(s3_endpoint).head_object(Bucket=BUCKET, Key=thumb)["ContentType"] == "image/webp"
            deleted = await c.delete(f"/api/v1/stores/{store.slug}/images/{image['id']}", headers=manager.headers)
            assert deleted.status_code == 204
    assert bucket(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) == 0
