"""Category tree and product image endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile, status
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from kernel.catalog import queries, service
from kernel.catalog.deps import API_ERRORS, CatalogReader, CatalogWriter, CategoryId, ImageId, Media, ProductId
from kernel.catalog.media import MAX_UPLOAD_BYTES, PayloadTooLarge, new_keys, process_image
from kernel.catalog.models import ProductImage
from kernel.catalog.schemas import CategoryCreate, CategoryRead, CategoryUpdate, ImageRead, ImageUpdate
from kernel.deps import SessionDep, StoreDep
from kernel.errors import InvalidInput, NotFound
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["catalog: categories"], responses=API_ERRORS)
images_router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["catalog: images"],
                          responses=API_ERRORS)


@router.get("/categories", summary="List the category tree", responses={200: {"content": {"application/json": {
    "example": [{"id": 1, "parent_id": None, "name": "Clothing", "slug": "clothing", "description": "",
                 "position": 0}]}}}})
async def list_categories(session: SessionDep, staff: CatalogReader) -> list[CategoryRead]:
    """Every category of the store, roots first, then by parent and position (build the tree from `parent_id`)."""
    return [CategoryRead.model_validate(c) for c in await service.list_categories(session)]


@router.post("/categories", status_code=status.HTTP_201_CREATED, summary="Create a category")
async def create_category(data: CategoryCreate, session: SessionDep, manager: CatalogWriter) -> CategoryRead:
    return CategoryRead.model_validate(await service.create_category(session, data))


@router.get("/categories/{category_id}", summary="Get a category")
async def get_category(category_id: CategoryId, session: SessionDep, staff: CatalogReader) -> CategoryRead:
    return CategoryRead.model_validate(await service.get_category(session, category_id))


@router.patch("/categories/{category_id}", summary="Update or move a category")
async def update_category(category_id: CategoryId, data: CategoryUpdate, session: SessionDep,
                          manager: CatalogWriter) -> CategoryRead:
    """Moving a category under itself or one of its descendants is refused with 409."""
    return CategoryRead.model_validate(await service.update_category(session, category_id, data))


@router.delete("/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a category")
async def delete_category(category_id: CategoryId, session: SessionDep, manager: CatalogWriter) -> Response:
    """Refused with 409 while it has subcategories; its products stay, minus this category."""
    await service.delete_category(session, category_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _read_bounded(upload: UploadFile) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@images_router.post("/products/{product_id}/images", status_code=status.HTTP_201_CREATED,
                    summary="Upload a product image (multipart)", openapi_extra={"requestBody": {"content": {
                        "multipart/form-data": {"example": {"file": "(binary JPEG/PNG/WebP/GIF)",
                                                            "alt": "Front view"}}}}})
async def upload_image(product_id: ProductId, request: Request, session: SessionDep, store: StoreDep,
                       manager: CatalogWriter, media: Media,
                       file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF; at most 10 MiB.")],
                       alt: Annotated[str, Form(max_length=255, examples=["Front view"])] = "") -> ImageRead:
    """Decoded with Pillow (the declared type is not trusted); a 320 px WebP thumbnail is made."""
    if "\x00" in alt:
        raise InvalidInput("NUL bytes are not allowed.",
                           errors=[{"loc": ["body", "alt"], "msg": "NUL bytes are not allowed", "type": "value_error"}])
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise PayloadTooLarge(f"The upload is larger than {MAX_UPLOAD_BYTES} bytes.")
    await service.get_product(session, product_id)
    image = await run_in_threadpool(process_image, await _read_bounded(file))
    key, thumb_key = new_keys(store.id, product_id, image.extension)
    await media.put(key, image.data, image.content_type)
    await media.put(thumb_key, image.thumbnail, "image/webp")
    position = (await session.execute(select(func.count()).select_from(ProductImage).where(
        ProductImage.product_id == product_id))).scalar_one()
    row = ProductImage(product_id=product_id, position=position, alt=alt.strip(), storage_key=key,
                       thumbnail_key=thumb_key, content_type=image.content_type, width=image.width,
                       height=image.height, size_bytes=len(image.data))
    session.add(row)
    await session.flush()
    return queries.image_read(row, media.url)


async def _image(session, image_id: int) -> ProductImage:
    row = (await session.execute(select(ProductImage).where(ProductImage.id == image_id))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No image with id {image_id} in this store.")
    return row


@images_router.get("/images/{image_id}", summary="Get an image's metadata")
async def get_image(image_id: ImageId, session: SessionDep, staff: CatalogReader, media: Media) -> ImageRead:
    return queries.image_read(await _image(session, image_id), media.url)


@images_router.patch("/images/{image_id}", summary="Update an image's alt text or position")
async def update_image(image_id: ImageId, data: ImageUpdate, session: SessionDep, manager: CatalogWriter,
                       media: Media) -> ImageRead:
    row = await _image(session, image_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(row, key, value)
    await session.flush()
    return queries.image_read(row, media.url)


@images_router.delete("/images/{image_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an image")
async def delete_image(image_id: ImageId, session: SessionDep, manager: CatalogWriter, media: Media) -> Response:
    row = await _image(session, image_id)
    keys = (row.storage_key, row.thumbnail_key)
    await session.delete(row)
    await session.flush()
    for key in keys:
        await media.delete(key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
