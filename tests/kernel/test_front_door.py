"""What a newcomer meets after ``make run``: the platform's own address points the way, and the
API reference works without internet (its scripts and styles come from the app, not a CDN)."""

from __future__ import annotations

import re

import pytest


async def test_the_platform_address_points_to_the_storefronts_and_the_reference(client):
    for host in ("127.0.0.1:8000", "localhost:8000"):
        page = await client.get("/", headers={"host": host})
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert 'href="/docs"' in page.text and 'href="/redoc"' in page.text
        assert 'href="http://demo.localhost:8000/"' in page.text


async def test_an_unknown_store_is_still_not_found(client):
    page = await client.get("/", headers={"host": "no-such-shop.localhost:8000"})
    assert page.status_code == 404 and "Store not found" in page.text
    elsewhere = await client.get("/search", headers={"host": "127.0.0.1:8000"})
    assert elsewhere.status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_reference_loads_everything_from_the_app(client, path):
    page = await client.get(path)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(asset.endswith(".js") for asset in assets), page.text
    assert not re.search(r"https?://", page.text), "the page would reach another host"
    for asset in assets:
        assert asset.startswith("/"), asset
        answer = await client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset
    spec_url = re.search(r"(?:url: |spec-url=)['\"]([^'\"]+)['\"]", page.text).group(1)
    assert (await client.get(spec_url)).json()["info"]["title"] == "PyCommerce"
