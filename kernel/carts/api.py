"""Storefront cart API. No staff auth: the cart token (``X-Cart-Token`` header or ``pyc_cart``
cookie) is the capability. A signed-in customer's cart follows them; a guest cart they bring along
at sign-in is merged into it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path, Request, Response, status

from kernel.carts import service
from kernel.carts.models import Cart, CartStatus
from kernel.carts.schemas import CartCreate, CartCreated, CartLineCreate, CartLineUpdate, CartRead
from kernel.catalog.schemas import MAX_INT
from kernel.deps import CurrentPrincipal, Principal, SessionDep, StoreDep
from kernel.errors import ERROR_RESPONSES, NotFound
from kernel.routing import KernelRouter
from kernel.tenancy import StoreContext

CART_HEADER = "X-Cart-Token"
CART_COOKIE = "pyc_cart"
# Public (shopper-facing) operations are marked so the staff isolation walker attacks them only
# with cross-store objects: anyone may use a store's public API, but never another store's cart.
PUBLIC = {"x-pyc-public": True}

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/carts", tags=["storefront: cart"], responses=ERROR_RESPONSES)


def cart_token(request: Request) -> str | None:
    return request.headers.get(CART_HEADER) or request.cookies.get(CART_COOKIE)


def store_customer(principal: Principal, store: StoreContext):
    customer = principal.customer
    return customer if customer is not None and customer.store_id == store.id and customer.is_active else None


async def get_current_cart(request: Request, store: StoreDep, session: SessionDep,
                           principal: CurrentPrincipal) -> Cart:
    """The caller's cart in this store, in any status (placing replays need the ordered one)."""
    token = cart_token(request)
    cart = await service.cart_by_token(session, token) if token else None
    if cart is not None and cart.status == CartStatus.merged:
        cart = None  # folded into a customer's cart: that cart is the one to use now
    customer = store_customer(principal, store)
    if customer is not None:
        if cart is not None and cart.customer_id not in (None, customer.id):
            cart = None  # someone else's cart: a customer only ever sees their own
        if cart is not None and cart.customer_id is None:
            cart = await service.merge_carts(session, cart, customer)
        if cart is None:
            cart = await service.open_customer_cart(session, customer.id)
    elif cart is not None and cart.customer_id is not None:
        cart = None  # a customer's cart needs the customer signed in
    if cart is None:
        raise NotFound("No cart: create one with POST /api/v1/stores/{store_slug}/carts.")
    return cart


CurrentCart = Annotated[Cart, Depends(get_current_cart)]
LineId = Annotated[int, Path(ge=1, le=MAX_INT, description="The cart line's id.", examples=[7])]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a cart", openapi_extra=PUBLIC)
async def create_cart(store: StoreDep, session: SessionDep, principal: CurrentPrincipal, response: Response,
                      data: Annotated[CartCreate | None,
                                      Body(examples=[{"lines": [{"variant_id": 42, "quantity": 2}]}])] = None,
                      ) -> CartCreated:
    """Start a cart, empty (no body) or with its first items. The token is returned once (and set as
    a cookie): keep it. Items that cannot be sold are refused (409/404) and no cart is created."""
    data = data or CartCreate()
    customer = store_customer(principal, store)
    cart, token = await service.create_cart(session, store.currency, customer.id if customer else None)
    for line in data.lines:
        await service.add_line(session, cart, line.variant_id, line.quantity)
    response.set_cookie(CART_COOKIE, token, httponly=True, samesite="lax", max_age=60 * 60 * 24 * 30)
    priced = await service.price_cart(session, cart)
    return CartCreated(**CartRead.of(priced).model_dump(), token=token)


@router.get("/current", summary="Get the current cart", openapi_extra=PUBLIC)
async def read_cart(cart: CurrentCart, session: SessionDep) -> CartRead:
    """Prices, availability and totals as the catalog has them now, with a message per problem line."""
    return CartRead.of(await service.price_cart(session, cart))


@router.post("/current/lines", summary="Add an item to the cart", openapi_extra=PUBLIC)
async def add_line(data: CartLineCreate, request: Request, store: StoreDep, session: SessionDep,
                   principal: CurrentPrincipal) -> CartRead:
    """More of an item already in the cart adds up. Refused (and nothing written) when the item
    is not on sale, short of stock, or the cart would pass 999 units of it or 100 items."""
    token = cart_token(request)
    if token and store_customer(principal, store) is None:  # a guest's add, most often in one statement
        priced = await service.add_to_guest_cart(session, token, data.variant_id, data.quantity)
        if priced is not None:
            return CartRead.of(priced)
    cart = await get_current_cart(request, store, session, principal)
    return CartRead.of(await service.add_line_and_price(session, cart, data.variant_id, data.quantity))


@router.patch("/current/lines/{line_id}", summary="Change a line's quantity", openapi_extra=PUBLIC)
async def update_line(line_id: LineId, data: CartLineUpdate, cart: CurrentCart, session: SessionDep) -> CartRead:
    await service.set_quantity(session, cart, line_id, data.quantity)
    return CartRead.of(await service.price_cart(session, cart))


@router.delete("/current/lines/{line_id}", summary="Remove a line", openapi_extra=PUBLIC)
async def delete_line(line_id: LineId, cart: CurrentCart, session: SessionDep) -> CartRead:
    await service.remove_line(session, cart, line_id)
    return CartRead.of(await service.price_cart(session, cart))
