"""Who may call the catalog and inventory API (documented in docs/catalog.md).

* read (products, categories, stock levels, the ledger, export): any staff role, or an API
  key with ``catalog:read``;
* catalog writes (products, variants, categories, images, import): manager or owner, or
  ``catalog:write`` — prices and costs are a manager's decision;
* stock adjustments: any staff role, or ``inventory:write`` — receiving goods and counting
  shelves is floor staff's daily work, and every change is in the ledger with its author.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from kernel.accounts.models import StaffRole
from kernel.catalog.media import MediaStore
from kernel.catalog.schemas import MAX_INT
from kernel.deps import Principal, require_staff
from kernel.errors import ERROR_RESPONSES

# The kernel's error responses plus 400 (a body that is not JSON / not multipart at all) and
# 413 (uploads), so the OpenAPI document lists every status these routes can answer.
API_ERRORS = {**ERROR_RESPONSES,
              400: {**ERROR_RESPONSES[422], "description": "The body could not be parsed"},
              413: {**ERROR_RESPONSES[422], "description": "The upload is too large"}}

CatalogReader = Annotated[Principal, Depends(require_staff(StaffRole.staff, "catalog:read"))]
CatalogWriter = Annotated[Principal, Depends(require_staff(StaffRole.manager, "catalog:write"))]
InventoryWriter = Annotated[Principal, Depends(require_staff(StaffRole.staff, "inventory:write"))]

ProductId = Annotated[int, Path(ge=1, le=MAX_INT, description="The product's id.", examples=[3])]
VariantId = Annotated[int, Path(ge=1, le=MAX_INT, description="The variant's id.", examples=[7])]
CategoryId = Annotated[int, Path(ge=1, le=MAX_INT, description="The category's id.", examples=[1])]
ImageId = Annotated[int, Path(ge=1, le=MAX_INT, description="The image's id.", examples=[2])]


def actor_of(principal: Principal) -> str | None:
    """How the ledger names who did something: ``user:12`` or ``api_key:3``."""
    if principal.api_key_id is not None:
        return f"api_key:{principal.api_key_id}"
    if principal.user is not None:
        return f"user:{principal.user.id}"
    return None


async def get_media(request: Request) -> MediaStore:
    """``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hand-off that cost more than the whole lookup on every catalog request. The store is
    the app's, made once (:func:`kernel.app.create_app`), because it holds nothing a request changes."""
    return request.app.state.media


Media = Annotated[MediaStore, Depends(get_media)]
