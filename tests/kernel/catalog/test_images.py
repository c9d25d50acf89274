"""Image uploads: real images are stored with a thumbnail; anything else is refused with 4xx."""

from __future__ import annotations

import io

from PIL import Image

from kernel.catalog.media import MAX_UPLOAD_BYTES
from tests.support.makers_catalog import make_product, png_bytes


async def test_upload_serve_list_and_delete_an_image(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    product = await make_product(factory, store)
    url = f"/api/v1/stores/{store.slug}/products/{product.id}/images"
    response = await client.post(url, headers=manager.headers, data={"alt": "Front"},
                                 files={"file": ("photo.bin", png_bytes((800, 600)), "application/octet-stream")})
    assert response.status_code == 201, response.text
    image = response.json()
    assert image["content_type"] == "image/png" and (image["width"], image["height"]) == (800, 600)
    assert image["alt"] == "Front" and image["url"].startswith("/media/")
    served = await client.get(image["url"])
    assert served.status_code == 200 and served.content == png_bytes((800, 600))
    thumb = await client.get(image["thumbnail_url"])
    with Image.open(io.BytesIO(thumb.content)) as t:
        assert t.format == "WEBP" and max(t.size) == 320
    detail = (await client.get(f"/api/v1/stores/{store.slug}/products/{product.id}", headers=manager.headers)).json()
    assert [i["id"] for i in detail["images"]] == [image["id"]]
    listed = (await client.get(f"/api/v1/stores/{store.slug}/products", headers=manager.headers)).json()
    assert listed["items"][0]["images"][0]["thumbnail_url"] == image["thumbnail_url"]
    patched = await client.patch(f"/api/v1/stores/{store.slug}/images/{image['id']}", headers=manager.headers,
                                 json={"alt": "Back"})
    assert patched.json()["alt"] == "Back"
    second = (await client.post(url, headers=manager.headers, data={"alt": "Side"},
                                files={"file": ("s.png", png_bytes((40, 30)), "image/png")})).json()

    async def listed_alts():  # the listing and the detail follow every edit of the product's images
        listed = (await client.get(f"/api/v1/stores/{store.slug}/products", headers=manager.headers)).json()
        detail = (await client.get(f"/api/v1/stores/{store.slug}/products/{product.id}",
                                   headers=manager.headers)).json()
        assert listed["items"][0]["images"] == detail["images"]
        return [i["alt"] for i in detail["images"]]

    assert await listed_alts() == ["Back", "Side"]
    moved = await client.patch(f"/api/v1/stores/{store.slug}/images/{image['id']}", headers=manager.headers,
                               json={"position": 5})
    assert moved.status_code == 200 and await listed_alts() == ["Side", "Back"]
    deleted = await client.delete(f"/api/v1/stores/{store.slug}/images/{image['id']}", headers=manager.headers)
    assert deleted.status_code == 204
    assert (await client.get(image["url"])).status_code == 404
    assert await listed_alts() == ["Side"]
    # Deleting the product takes its remaining image with it (the trigger finds no product to rewrite).
    gone = await client.delete(f"/api/v1/stores/{store.slug}/products/{product.id}", headers=manager.headers)
    assert gone.status_code == 204
    assert (await client.get(f"/api/v1/stores/{store.slug}/products", headers=manager.headers)).json()["items"] == []


async def test_non_images_and_oversized_uploads_are_refused(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    staff = await factory.staff(store, "staff")
    product = await make_product(factory, store)
    url = f"/api/v1/stores/{store.slug}/products/{product.id}/images"
    not_image = await client.post(url, headers=manager.headers,
                                  files={"file": ("evil.png", b"<?php echo 1; ?>", "image/png")})
    assert not_image.status_code == 422 and "not a readable image" in not_image.json()["detail"]
    empty = await client.post(url, headers=manager.headers, files={"file": ("e.png", b"", "image/png")})
    assert empty.status_code == 422
    huge = await client.post(url, headers=manager.headers,
                             files={"file": ("big.png", b"\x89PNG" + b"0" * MAX_UPLOAD_BYTES, "image/png")})
    assert huge.status_code == 413 and "larger than" in huge.json()["detail"]
    no_file = await client.post(url, headers=manager.headers, json={})
    assert no_file.status_code == 422
    nul_alt = await client.post(url, headers=manager.headers, data={"alt": "a\x00b"},
                                files={"file": ("p.png", png_bytes(), "image/png")})
    assert nul_alt.status_code == 422
    as_staff = await client.post(url, headers=staff.headers, files={"file": ("p.png", png_bytes(), "image/png")})
    assert as_staff.status_code == 403
    assert (await client.get("/media/../../etc/passwd")).status_code == 404
