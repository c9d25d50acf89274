"""The shop window and the till: the storefront's pages from browsing to the order confirmation.

Every page is rendered from the store's theme (and its enabled plugins' templates) on the store's
own host, from the same services the JSON API uses: the catalog's queries, the cart, the checkout
and the placement, so a shopper in the browser and a client of the API see the same prices,
rates, taxes and refusals.

* A guest's cart is the ``pyc_cart`` cookie (the API's cart cookie): it is made on the first
  "Add to cart" and forgotten once it became an order.
* Every form carries the visitor's CSRF token (:mod:`kernel.storefront.forms`).
* Every post is one transaction. A refused change (sold out, not a valid address, …) is taken
  back to a savepoint and the page is shown again with the reason and what the shopper typed;
  a change that worked redirects (303), so reloading a page never sends it twice.
* The checkout page carries a **form token**, made when the page is shown: placing the order
  sends it as the placement's idempotency key, so a double click, a resent form or a reload
  of the "Place order" post makes one order and shows it again, never a second one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kernel.carts import service as carts
from kernel.carts.api import CART_COOKIE
from kernel.carts.models import Cart, CartStatus
from kernel.carts.schemas import CartLineCreate, CartLineUpdate
from kernel.catalog import queries
from kernel.catalog import service as catalog
from kernel.catalog.deps import Media
from kernel.catalog.models import Category, ProductStatus
from kernel.catalog.schemas import MAX_INT, SLUG_RE
from kernel.checkout import service as checkout
from kernel.checkout.api import placement_slots, render_placed
from kernel.checkout.placing import place_order
from kernel.checkout.schemas import CheckoutUpdate, PlaceOrder
from kernel.deps import SessionDep
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.orders.models import Order, Payment
from kernel.plugins import store_hooks
from kernel.routing import KernelRouter
from kernel.security import new_token
from kernel.storefront.forms import check_form, form_token_input, keep_visitor
from kernel.storefront.pages import storefront_store, store_page
from kernel.tenancy import StoreContext
from plugin_sdk.money import format_money

router = KernelRouter(include_in_schema=False)

PAGE_SIZE = 24
CART_MAX_AGE = 60 * 60 * 24 * 30
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postcode", "country", "phone")
FORM_TOKEN_PREFIX = "storefront:"

LineId = Annotated[int, Path(ge=1, le=MAX_INT)]
SlugPath = Annotated[str, Path(pattern=SLUG_RE, max_length=200)]  # a product's or a category's


# --- rendering --------------------------------------------------------------------------------

async def _page(request: Request, session, store: StoreContext, name: str, context: dict,
                status_code: int = 200) -> HTMLResponse:
    """A theme page with what every storefront template may use: ``money(amount)`` in the store's
    currency and locale, ``csrf_input(request)`` for forms, and ``cart_count`` for the header."""
    locale = store.locale.replace("-", "_")
    if "cart_count" not in context:
        cart = await _open_cart(request, session)
        context["cart_count"] = _item_count(await carts.price_cart(session, cart)) if cart else 0
    response = await store_page(request, session, store, name, {
        "money": lambda amount: format_money(amount, store.currency, locale), "csrf_input": form_token_input,
        **context})
    response.status_code = status_code
    return keep_visitor(request, response)


async def _posted(request: Request, session) -> tuple[StoreContext | HTMLResponse, object]:
    """A post's store (or the page saying there is none) and its form, refused unless one of this
    browser's storefront pages sent it (:func:`kernel.storefront.forms.check_form`)."""
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store, None
    form = await request.form()
    check_form(request, form)
    return store, form


async def _posted_to_open_cart(request: Request, session) -> tuple:
    """:func:`_posted` for a change to the browser's open cart: (store, form, cart), or (a response
    to send instead, None, None) when there is no store or no open cart (to the cart page)."""
    store, form = await _posted(request, session)
    if isinstance(store, HTMLResponse):
        return store, None, None
    cart = await _open_cart(request, session)
    return (store, form, cart) if cart is not None else (_see("/cart"), None, None)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _field_errors(errors) -> dict[str, str]:
    """Pydantic's or a domain error's field errors, keyed by form field name (``shipping_address.postcode``
    → ``postcode``), for the page to show beside each field."""
    shown = {}
    for error in errors or ():
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        shown[loc[-1] if loc else "form"] = error.get("msg", "")
    return shown


# --- the shopper's cart -----------------------------------------------------------------------

async def _cookie_cart(request: Request, session) -> Cart | None:
    """The guest cart the browser's cookie names in this store (any status), if any."""
    token = request.cookies.get(CART_COOKIE)
    cart = await carts.cart_by_token(session, token) if token else None
    return cart if cart is not None and cart.customer_id is None else None


async def _open_cart(request: Request, session) -> Cart | None:
    cart = await _cookie_cart(request, session)
    return cart if cart is not None and cart.status == CartStatus.open else None


async def _fresh_open_cart(request: Request, session) -> Cart | None:
    """After a refused change was taken back to its savepoint: the cart as the database has it
    (what the session held may carry the refused change)."""
    session.expire_all()
    return await _open_cart(request, session)


def _item_count(priced) -> int:
    return sum(line.quantity for line in priced.lines) if priced is not None else 0


# --- browsing ---------------------------------------------------------------------------------

async def _shelf(request: Request, session, store: StoreContext, media, filters: queries.ProductFilters,
                 after: str | None, **context) -> HTMLResponse:
    """A page of the store's active products matching ``filters``, newest first, with the category
    menu; ``home.html`` shows the shop window, a search's results and a category alike."""
    if after is not None and len(after) > 500:
        raise InvalidInput("That page link is not valid; start again from the first page.")
    filters.status = ProductStatus.active
    page = await queries.list_products(session, filters, after=after, limit=PAGE_SIZE, media_url=media.url)
    categories = [c for c in await catalog.list_categories(session) if c.parent_id is None]
    return await _page(request, session, store, "home.html", {
        "products": page.items, "next_cursor": page.next_cursor, "categories": categories, **context})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, media: Media, after: str | None = None):
    """The shop window: the store's active products, newest first, a page at a time."""
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    return await _shelf(request, session, store, media, queries.ProductFilters(), after)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, session: SessionDep, media: Media,
                      q: Annotated[str, Query(max_length=200)] = "", after: str | None = None):
    """The products whose name, description or SKU hold every word of ``q`` (the last as a prefix)."""
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    return await _shelf(request, session, store, media, queries.ProductFilters(q=q.strip() or None), after,
                        query=q.strip())


@router.get("/categories/{slug}", response_class=HTMLResponse)
async def category_page(request: Request, slug: SlugPath, session: SessionDep, media: Media,
                        after: str | None = None):
    """A category's products, its sub-categories' included."""
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    category = (await session.execute(select(Category).where(Category.slug == slug))).scalar_one_or_none()
    if category is None:
        raise NotFound("There is no such category in this shop.")
    return await _shelf(request, session, store, media, queries.ProductFilters(category_id=category.id), after,
                        category=category)


async def _product_context(session, media, slug: str) -> dict:
    product = await queries.product_detail_by_slug(session, slug, media_url=media.url,
                                                   only_status=ProductStatus.active)
    if product is None:
        raise NotFound("This product is not in the shop (any more).")
    variants = [{"variant": v, "sellable": not v.track_inventory or v.allow_backorder or (v.available or 0) > 0}
                for v in product.variants]
    return {"product": product, "variants": variants}


@router.get("/products/{slug}", response_class=HTMLResponse)
async def product_page(request: Request, slug: SlugPath, session: SessionDep, media: Media):
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    return await _page(request, session, store, "product.html", await _product_context(session, media, slug))


@router.post("/cart/add", response_class=HTMLResponse)
async def add_to_cart(request: Request, session: SessionDep, media: Media):
    """"Add to cart" on a product page: makes the cart on the first item, then shows the cart."""
    store, form = await _posted(request, session)
    if isinstance(store, HTMLResponse):
        return store
    slug = str(form.get("product", ""))
    try:
        wanted = CartLineCreate.model_validate({"variant_id": form.get("variant_id"),
                                                "quantity": form.get("quantity") or 1})
        cart, token = await _open_cart(request, session), None
        async with session.begin_nested():
            if cart is None:
                cart, token = await carts.create_cart(session, store.currency)
            await carts.add_line(session, cart, wanted.variant_id, wanted.quantity)
    except (ValidationError, DomainError) as refused:
        if not slug:  # not posted from a product page: a problem page says what was wrong
            raise refused if isinstance(refused, DomainError) else InvalidInput(_refusal(refused)) from None
        session.expire_all()  # the cart as the database has it, for the header's count
        return await _page(request, session, store, "product.html", {
            **await _product_context(session, media, slug), "error": _refusal(refused)},
            status_code=_status(refused))
    response = _see("/cart")
    if token is not None:
        response.set_cookie(CART_COOKIE, token, httponly=True, samesite="lax", max_age=CART_MAX_AGE)
    return response


def _refusal(refused: Exception) -> str:
    if isinstance(refused, ValidationError):
        return "Choose an option and a quantity between 1 and 999."
    return refused.detail or refused.title


def _status(refused: Exception) -> int:
    return 422 if isinstance(refused, ValidationError) else refused.status


# --- the cart ---------------------------------------------------------------------------------

async def _cart_page(request, session, store, *, error: str | None = None, status_code: int = 200):
    cart = await _open_cart(request, session)
    priced = await carts.price_cart(session, cart) if cart is not None else None
    return await _page(request, session, store, "cart.html", {
        "priced": priced, "error": error, "cart_count": _item_count(priced)}, status_code=status_code)


@router.get("/cart", response_class=HTMLResponse)
async def cart_page(request: Request, session: SessionDep):
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    return await _cart_page(request, session, store)


@router.post("/cart/lines/{line_id}", response_class=HTMLResponse)
async def change_line(request: Request, line_id: LineId, session: SessionDep):
    """A line's new quantity (0 or the "Remove" button takes it out)."""
    store, form, cart = await _posted_to_open_cart(request, session)
    if cart is None:
        return store  # the page to show instead
    try:
        quantity = 0 if "remove" in form else CartLineUpdate.model_validate({"quantity": form.get("quantity")}).quantity
        async with session.begin_nested():
            await carts.set_quantity(session, cart, line_id, quantity)
    except ValidationError:
        return await _cart_page(request, session, store, error="Enter a quantity between 0 and 999.",
                                status_code=422)
    except DomainError as refused:
        session.expire_all()
        return await _cart_page(request, session, store, error=_refusal(refused), status_code=refused.status)
    return _see("/cart")


# --- checkout ---------------------------------------------------------------------------------

async def _checkout_page(request, session, store, cart: Cart, *, error: str | None = None,
                         field_errors: dict | None = None, typed: dict | None = None, status_code: int = 200):
    hooks = await store_hooks(session, store)
    state = await checkout.build_checkout(session, hooks, cart)
    address = typed.get("shipping_address") if typed else cart.shipping_address
    return await _page(request, session, store, "checkout.html", {
        "state": state, "cart": cart, "email": typed.get("email") if typed else cart.email,
        "address": address or {}, "address_fields": ADDRESS_FIELDS, "error": error,
        "field_errors": field_errors or {}, "form_token": new_token("pcf_"),
        "rate_id": checkout.choice_id(state.rate.plugin_id, state.rate.code) if state.rate else None,
        "method_id": checkout.choice_id(state.method.plugin_id, state.method.code) if state.method else None,
        "choice_id": checkout.choice_id, "cart_count": _item_count(state.priced)}, status_code=status_code)


async def _checkout_refused(request, session, store, refused: DomainError, typed: dict | None = None):
    """The checkout page again, saying why a post was refused (the cart re-read: the refused change
    was taken back); a cart that is gone or ordered meanwhile gets the problem page instead."""
    cart = await _fresh_open_cart(request, session)
    if cart is None:
        raise refused
    return await _checkout_page(request, session, store, cart, error=_refusal(refused),
                                field_errors=_field_errors(refused.errors), typed=typed, status_code=refused.status)


@router.get("/checkout", response_class=HTMLResponse)
async def checkout_page(request: Request, session: SessionDep):
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    cart = await _open_cart(request, session)
    if cart is None or not cart.lines:
        return _see("/cart")
    return await _checkout_page(request, session, store, cart)


def _checkout_changes(form) -> dict:
    """The checkout form as a :class:`CheckoutUpdate`'s fields (a field left empty is not sent)."""
    changes: dict = {"email": str(form.get("email", "")).strip() or None,
                     "shipping_address": {name: str(form.get(name, "")) for name in ADDRESS_FIELDS},
                     "billing_same_as_shipping": True}
    for choice in ("shipping_rate_id", "payment_method_id"):
        if form.get(choice):
            changes[choice] = str(form.get(choice))
    return changes


@router.post("/checkout", response_class=HTMLResponse)
async def save_checkout(request: Request, session: SessionDep):
    """Contact, address, shipping and payment choices. A shipping method no longer offered for
    a new address is dropped (the page then asks for one), not refused."""
    store, form, cart = await _posted_to_open_cart(request, session)
    if cart is None:
        return store  # the page to show instead
    typed = _checkout_changes(form)
    try:
        data = CheckoutUpdate.model_validate(typed).model_dump(exclude_unset=True, mode="json")
        hooks = await store_hooks(session, store)
        choices = {k: data.pop(k) for k in ("shipping_rate_id", "payment_method_id") if k in data}
        async with session.begin_nested():
            await checkout.update_checkout(session, hooks, cart, data)
        for key, value in choices.items():
            try:
                async with session.begin_nested():
                    await checkout.update_checkout(session, hooks, cart, {key: value}, hold_stock=False)
            except InvalidInput:
                pass  # not offered for this address: the page asks for a new choice
    except ValidationError as invalid:
        return await _checkout_page(request, session, store, cart, error="Please correct the marked fields.",
                                    field_errors=_field_errors(invalid.errors()), typed=typed, status_code=422)
    except DomainError as refused:
        return await _checkout_refused(request, session, store, refused, typed=typed)
    return _see("/checkout")


@router.post("/checkout/place", response_class=HTMLResponse)
async def place(request: Request, session: SessionDep):
    """Place the order with the page's form token as the idempotency key (see the module's doc)."""
    store, form = await _posted(request, session)
    if isinstance(store, HTMLResponse):
        return store
    form_token = str(form.get("form_token", ""))
    try:  # the API's placement body: a whole number of minor units, within its bounds
        body = PlaceOrder.model_validate({"expected_total": form.get("expected_total")}).model_dump(mode="json")
    except ValidationError:
        body = None
    if not form_token.startswith("pcf_") or len(form_token) > 100 or body is None or body["expected_total"] is None:
        raise InvalidInput("This checkout form is incomplete; reload the checkout page and try again.")
    cart = await _cookie_cart(request, session)
    if cart is None:
        return _see("/cart")
    hooks = await store_hooks(session, store)
    try:
        async with placement_slots(request), session.begin_nested():
            await place_order(session, hooks, cart, body,
                              idempotency_key=FORM_TOKEN_PREFIX + form_token, render=render_placed)
    except carts.CartAlreadyOrdered:
        return _see("/checkout/complete")  # this browser ordered it, from another tab or page
    except DomainError as refused:
        return await _checkout_refused(request, session, store, refused)
    return _see("/checkout/complete")


@router.get("/checkout/complete", response_class=HTMLResponse)
async def order_complete(request: Request, session: SessionDep):
    """The confirmation of the order this browser's cart became."""
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        return store
    cart = await _cookie_cart(request, session)
    if cart is None or cart.order_id is None:
        return _see("/cart")
    order = (await session.execute(select(Order).where(Order.id == cart.order_id)
                                   .options(selectinload(Order.lines)))).scalar_one()
    payment = (await session.execute(select(Payment).where(Payment.order_id == order.id)
                                     .order_by(Payment.id))).scalars().first()
    return await _page(request, session, store, "order_complete.html", {"order": order, "payment": payment})
