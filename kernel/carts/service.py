"""Cart logic. Prices, availability and totals are read from the catalog every time a cart is
shown or changed: a cart never remembers a price, so it can never sell at a stale one."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Integer, Row, String, and_, bindparam, event, insert, select, true, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, contains_eager, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from kernel.accounts.models import Customer
from kernel.carts.models import Cart, CartLine, CartStatus
from kernel.catalog.models import Product, ProductStatus, ProductVariant
from kernel.db import bound_store_id, dialect_of, utcnow
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.inventory.service import release
from kernel.security import new_token, token_digest

MAX_QUANTITY = 999
MAX_LINES = 100


class CartAlreadyOrdered(Conflict):
    code = "cart-already-ordered"


@dataclass
class PricedLine:
    line_id: int
    variant_id: int
    quantity: int
    product_id: int | None = None
    sku: str = ""
    name: str = ""
    unit_price: int = 0
    unit_cost: int = 0
    weight_grams: int = 0
    tax_class: str = "standard"
    available: int | None = None  # units that can be sold now; None: not limited
    problem: str | None = None

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity


@dataclass
class PricedCart:
    cart: Cart
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines if line.problem is None)

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]


async def create_cart(session: AsyncSession, currency: str, customer_id: int | None = None) -> tuple[Cart, str]:
    """A new cart and its token (shown once; only its digest is stored)."""
    token = new_token("pct_")
    cart = Cart(token_digest=token_digest(token), currency=currency, customer_id=customer_id, lines=[])
    session.add(cart)
    await session.flush()
    return cart, token


async def cart_by_token(session: AsyncSession, token: str) -> Cart | None:
    """Scoped to the session's store: another store's token finds nothing (404). The cart, its
    lines and their catalog rows come in one statement: every cart request starts here, and
    each then prices the cart from those rows (see :func:`_variant_rows`)."""
    rows = (await session.execute(_cart_by_digest(), {"digest": token_digest(token)})).unique().all()
    if not rows:
        return None
    _remember_catalog_rows(session, [row for row in rows if row.id is not None])
    return rows[0].Cart


@functools.cache
def _cart_by_digest():
    """Built once: the cart whose token digest is bound as ``digest``, a row per line (one row
    when it has none) carrying the line's catalog columns (:func:`_catalog_columns`; NULL for a
    variant that is gone)."""
    return (select(Cart, *_catalog_columns())
            .outerjoin(Cart.lines)
            .outerjoin(ProductVariant, ProductVariant.id == CartLine.variant_id)
            .outerjoin(Product, Product.id == ProductVariant.product_id)
            .where(Cart.token_digest == bindparam("digest", type_=String))
            .order_by(CartLine.id)
            .options(contains_eager(Cart.lines)))


async def open_customer_cart(session: AsyncSession, customer_id: int) -> Cart | None:
    return (await session.execute(
        select(Cart).where(Cart.customer_id == customer_id, Cart.status == CartStatus.open)
        .order_by(Cart.id.desc()).limit(1))).scalar_one_or_none()


async def lock_open_cart(session: AsyncSession, cart: Cart) -> None:
    """Take the cart's row lock, refuse changes once it became an order, and make sure ``cart``
    (with its lines) is the cart as it is under that lock.

    Every change goes through here, and so does placing the order: a change racing a placement
    either lands before it (and is in the order) or is refused. Every change also bumps
    ``updated_at`` here, so when the row still carries the ``updated_at`` this request read,
    the cart in hand is current (one UPDATE). Otherwise another request changed it meanwhile
    (two "add" clicks at once): the cart and its lines are re-read under the lock, so this
    change adds to that one instead of overwriting it.
    """
    now = utcnow()
    unchanged, reloading = _touch_statements()
    if (await session.execute(unchanged, {"cart": cart.id, "seen": cart.updated_at, "now": now})).first():
        set_committed_value(cart, "updated_at", now)
        return
    if (await session.execute(reloading, {"cart": cart.id, "now": now})).scalars().one_or_none() is None:
        raise CartAlreadyOrdered("This cart has already been ordered; start a new cart.")


@functools.cache
def _touch_statements():
    """Built once: bump an open cart's ``updated_at`` to ``now`` if it still is ``seen`` (binds
    ``cart``, ``seen``, ``now``), and bump it whatever it was, reloading the cart (and, by
    selectin, its lines; binds ``cart``, ``now``). Both take the cart's row lock."""
    c = Cart.__table__.c  # the common case in Core: see kernel.db.bound_store_id
    stamp = c.updated_at.type
    open_cart = (Cart.id == bindparam("cart", type_=Integer), Cart.status == CartStatus.open)
    unchanged = (update(Cart.__table__)
                 .where(c.id == bindparam("cart", type_=Integer), c.store_id == bound_store_id(),
                        c.status == CartStatus.open, c.updated_at == bindparam("seen", type_=stamp))
                 .values(updated_at=bindparam("now", type_=stamp)).returning(c.id))
    reloading = (update(Cart).where(*open_cart).values(updated_at=bindparam("now", type_=stamp))
                 .returning(Cart).execution_options(synchronize_session=False, populate_existing=True))
    return unchanged, reloading


async def merge_carts(session: AsyncSession, guest: Cart, customer: Customer) -> Cart:
    """Fold a guest cart into the customer's open cart at sign-in (quantities add up, capped).

    With no open customer cart, the guest cart simply becomes the customer's.
    """
    if guest.status != CartStatus.open:
        return guest
    target = await open_customer_cart(session, customer.id)
    if target is None or target.id == guest.id:
        guest.customer_id = customer.id
        guest.email = guest.email or customer.email
        await session.flush()
        return guest
    await lock_open_cart(session, target)  # like every change: a placement racing the merge sees it or refuses it
    existing = {line.variant_id: line for line in target.lines}
    for line in list(guest.lines):
        if line.variant_id in existing:
            existing[line.variant_id].quantity = min(MAX_QUANTITY, existing[line.variant_id].quantity + line.quantity)
        else:
            target.lines.append(CartLine(variant_id=line.variant_id, quantity=line.quantity))
    guest.status = CartStatus.merged
    await session.flush()
    await release(session, guest.hold_ref)  # its stock held in checkout, which the customer's cart may now need
    return target


def _catalog_columns_of(variants, products) -> tuple:
    """Exactly the catalog columns a cart line is priced from (:func:`_price_line`), in
    :class:`CatalogRow`'s order, taken from ``variants`` and ``products``: the mapped classes or
    their tables' columns, which name them alike."""
    return (variants.id, variants.sku, variants.title, variants.price, variants.cost, variants.weight_grams,
            variants.track_inventory, variants.allow_backorder, variants.stock_on_hand, variants.product_id,
            products.name.label("product_name"), products.status.label("product_status"), products.tax_class)


@functools.cache
def _catalog_columns() -> tuple:
    """The catalog columns as ORM attributes, so the store wall scopes them like any other query."""
    return _catalog_columns_of(ProductVariant, Product)


@functools.cache
def _catalog_table_columns() -> tuple:
    """The catalog columns as table columns, for the guest's add (:func:`_guest_addition`): a
    statement of tables alone, scoped by :func:`kernel.db.bound_store_id`. With no ORM entity in it,
    its rows skip the ORM's loading, which costs more than the guest's add does otherwise; the
    store wall's criteria then come from the statement."""
    return _catalog_columns_of(ProductVariant.__table__.c, Product.__table__.c)


@functools.cache
def _sellable_rows():
    """Built once: the catalog rows of the variant ids bound as ``ids``."""
    return (select(*_catalog_columns()).join(Product, Product.id == ProductVariant.product_id)
            .where(ProductVariant.id.in_(bindparam("ids", expanding=True))))


class CatalogRow(NamedTuple):
    """A variant's catalog columns (:func:`_catalog_columns`, in that order) as a cart line is
    priced from them. A plain tuple: a line reads a dozen of them, and a SQLAlchemy row looks
    each name up, which cost as much as the rest of pricing a line."""

    id: int
    sku: str
    title: str | None
    price: int
    cost: int | None
    weight_grams: int
    track_inventory: bool
    allow_backorder: bool
    stock_on_hand: int
    product_id: int
    product_name: str
    product_status: ProductStatus
    tax_class: str


_CATALOG_ROWS = "carts.catalog_rows"  # session.info: the catalog rows this unit of work read, by variant id
_CATALOG_WIDTH = len(CatalogRow._fields)


def _remember_catalog_rows(session: AsyncSession, rows) -> list[CatalogRow]:
    """Keep these rows (their last columns being :func:`_catalog_columns`) for this unit of work."""
    kept = [CatalogRow._make(row[-_CATALOG_WIDTH:]) for row in rows]
    session.info.setdefault(_CATALOG_ROWS, {}).update((row.id, row) for row in kept)
    return kept


_CATALOG_TABLES = frozenset({ProductVariant.__tablename__, Product.__tablename__})


@event.listens_for(Session, "do_orm_execute")
def _forget_catalog_rows_on_catalog_statements(state: ORMExecuteState) -> None:
    """A write to the catalog in this unit of work (a stock change, say) makes the rows it read stale."""
    if _CATALOG_ROWS in state.session.info and not state.is_select:
        table = getattr(state.statement, "table", None)
        if table is None or getattr(table, "name", None) in _CATALOG_TABLES:
            del state.session.info[_CATALOG_ROWS]


@event.listens_for(Session, "after_flush")
def _forget_catalog_rows_on_catalog_flush(session: Session, flush_context) -> None:
    if _CATALOG_ROWS in session.info and any(isinstance(obj, (Product, ProductVariant))
                                              for obj in (*session.new, *session.dirty, *session.deleted)):
        del session.info[_CATALOG_ROWS]


async def _variant_rows(session: AsyncSession, variant_ids: list[int]) -> dict[int, CatalogRow]:
    """The catalog rows of these variants (a variant that is gone has none).

    Rows this unit of work already read (the cart's own, read with it) are not read again: a
    request prices its cart as the catalog was at its start, as a page the shopper sees does.
    Nothing is sold on their word: placing an order takes stock with its own guarded UPDATE.
    Once the unit of work writes the catalog itself, they are forgotten and read again.
    """
    known = session.info.get(_CATALOG_ROWS, {})
    found = {variant_id: known[variant_id] for variant_id in variant_ids if variant_id in known}
    missing = [variant_id for variant_id in variant_ids if variant_id not in known]
    if missing:
        read = _remember_catalog_rows(session, (await session.execute(_sellable_rows(), {"ids": missing})).all())
        found.update((row.id, row) for row in read)
    return found


def display_name(product_name: str, variant_title: str | None) -> str:
    return f"{product_name} - {variant_title}" if variant_title else product_name


class _Wanted(NamedTuple):
    """Units of a variant someone wants, priced like a cart line before there is one."""

    variant_id: int
    quantity: int
    id: int = 0


def _price_line(line: CartLine | _Wanted, row: CatalogRow | None) -> PricedLine:
    """A cart line priced from its catalog row (:func:`_sellable_rows`; ``None``: the variant is gone)."""
    priced = PricedLine(line_id=line.id, variant_id=line.variant_id, quantity=line.quantity)
    if row is None:
        priced.problem = "This item is no longer available and was removed from sale."
        priced.available = 0
        return priced
    priced.product_id, priced.sku, priced.name = row.product_id, row.sku, display_name(row.product_name, row.title)
    priced.unit_price, priced.unit_cost = row.price, row.cost or 0
    priced.weight_grams, priced.tax_class = row.weight_grams, row.tax_class
    if row.track_inventory and not row.allow_backorder:
        priced.available = max(row.stock_on_hand, 0)
    if row.product_status != ProductStatus.active:
        priced.problem = f"'{priced.name}' is no longer on sale."
        priced.available = 0
    elif priced.available is not None and priced.available < line.quantity:
        priced.problem = (f"'{priced.name}' is out of stock." if priced.available == 0 else
                          f"Only {priced.available} of '{priced.name}' left in stock; reduce the quantity.")
    return priced


async def price_cart(session: AsyncSession, cart: Cart) -> PricedCart:
    """The cart as the catalog prices it now: one query for all lines, whatever their number."""
    rows = await _variant_rows(session, [line.variant_id for line in cart.lines])
    return PricedCart(cart, [_price_line(line, rows.get(line.variant_id)) for line in cart.lines])


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"Quantity must be between 1 and {MAX_QUANTITY}.")


async def _check_sellable(session: AsyncSession, variant_id: int, quantity: int, rows: dict | None = None) -> None:
    row = (rows if rows is not None else await _variant_rows(session, [variant_id])).get(variant_id)
    if row is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    priced = _price_line(_Wanted(variant_id, quantity), row)
    if priced.problem:
        raise Conflict(priced.problem)


async def add_line(session: AsyncSession, cart: Cart, variant_id: int, quantity: int, *,
                   rows: dict | None = None) -> CartLine:
    """Add units of a variant (or more of one already in the cart). ``rows``: the catalog rows
    already read for it (see :func:`add_line_and_price`).

    When the cart is still as this request read it (the common case), touching the cart (its
    lock, see :func:`lock_open_cart`) and writing the line is one statement on PostgreSQL.
    Otherwise the cart is re-read under its lock and the addition computed again from it; so
    is a refusal (too many units or lines), which the cart as read may not justify any more.
    """
    _check_quantity(quantity)
    try:
        line = await _write_addition(session, cart, variant_id, quantity, rows, seen=cart.updated_at)
    except (Conflict, InvalidInput):
        line = None
    if line is None:  # another request changed the cart after this one read it, or ordered it
        await lock_open_cart(session, cart)
        line = await _write_addition(session, cart, variant_id, quantity, rows, seen=None)
    return line


async def _write_addition(session: AsyncSession, cart: Cart, variant_id: int, quantity: int, rows: dict | None, *,
                          seen) -> CartLine | None:
    """Check and write ``quantity`` more units of the variant as ``cart`` holds it. With ``seen``, only
    if the cart row still carries that ``updated_at``, touching it in the same statement (``None``
    when it does not); without, the caller holds the cart's lock."""
    line = next((l for l in cart.lines if l.variant_id == variant_id), None)
    total = quantity + (line.quantity if line else 0)
    _check_quantity(total)
    await _check_sellable(session, variant_id, total, rows)
    if line is None and len(cart.lines) >= MAX_LINES:
        raise Conflict(f"A cart holds at most {MAX_LINES} different items.")
    now = utcnow()
    params = {"cart": cart.id, "seen": seen, "now": now, "variant": variant_id, "units": total,
              "line": line.id if line else None}
    written = await _touch_and_write(session, "insert" if line is None else "update", params, touching=seen is not None)
    if written is None:
        return None
    if seen is not None:
        set_committed_value(cart, "updated_at", now)
    if line is not None:
        set_committed_value(line, "quantity", total)
        set_committed_value(line, "updated_at", now)
        return line
    return _attach_written_line(session, cart, CartLine(
        id=written.id, store_id=cart.store_id, cart_id=cart.id, variant_id=variant_id, quantity=total,
        created_at=now, updated_at=now))


async def _touch_and_write(session: AsyncSession, kind: str, params: dict, *, touching: bool) -> Row | None:
    """Write a cart line (``kind``: ``insert`` or ``update``, see :func:`_line_writes`), touching
    the cart first when ``touching``; the written line's id, or ``None`` when the cart was not as
    seen. PostgreSQL does both in one statement (a data-modifying WITH); SQLite, which has none
    (and lets one writer in at a time), runs the touch on its own first."""
    if touching and dialect_of(session) != "postgresql":
        unchanged, _ = _touch_statements()
        if (await session.execute(unchanged, params)).first() is None:
            return None
        touching = False
    return (await session.execute(_line_writes()[kind, touching], params)).first()


@functools.cache
def _line_writes() -> dict:
    """Built once, Core and scoped to the bound store (see kernel.db.bound_store_id): a new line
    (binds ``variant``) and a line's new quantity (binds ``line``), each alone (binds ``cart``)
    or after the cart's touch (the statement of :func:`_touch_statements` as a WITH, binds its
    parameters). All bind ``units`` (the quantity) and ``now`` and return the line's id: nothing
    when the cart was not as seen."""
    lc = CartLine.__table__.c
    now, quantity = bindparam("now", type_=lc.updated_at.type), bindparam("units", type_=Integer)
    touched = _touch_statements()[0].cte("touched")
    writes = {}
    for touching in (False, True):
        cart_id = touched.c.id if touching else bindparam("cart", type_=Integer)
        new = select(bound_store_id(), cart_id, bindparam("variant", type_=Integer), quantity, now, now)
        writes["insert", touching] = (
            insert(CartLine.__table__)
            .from_select(["store_id", "cart_id", "variant_id", "quantity", "created_at", "updated_at"], new)
            .returning(lc.id))
        changed = update(CartLine.__table__).where(lc.id == bindparam("line", type_=Integer),
                                                   lc.store_id == bound_store_id())
        if touching:
            changed = changed.where(lc.cart_id == select(touched.c.id).scalar_subquery())
        writes["update", touching] = changed.values(quantity=quantity, updated_at=now).returning(lc.id)
    return writes


def _attach_written_line(session: AsyncSession, cart: Cart, line: CartLine) -> CartLine:
    """Put a line a Core INSERT wrote into the session and the cart's lines, as loaded (nothing to flush)."""
    make_transient_to_detached(line)
    session.add(line)
    set_committed_value(line, "cart", cart)
    set_committed_value(cart, "lines", [*cart.lines, line])
    return line


async def _write_quantity(session: AsyncSession, line: CartLine, quantity: int) -> None:
    """Store a line's quantity and keep ``line`` as it now is in the database (nothing left to flush)."""
    now = utcnow()
    await session.execute(_line_writes()["update", False], {"line": line.id, "units": quantity, "now": now})
    set_committed_value(line, "quantity", quantity)
    set_committed_value(line, "updated_at", now)


async def add_line_and_price(session: AsyncSession, cart: Cart, variant_id: int, quantity: int) -> PricedCart:
    """:func:`add_line`, then the cart as :func:`price_cart` prices it, with one catalog read for
    both (the new variant's and the other lines'): the storefront's busiest write."""
    rows = await _variant_rows(session, sorted({line.variant_id for line in cart.lines} | {variant_id}))
    await add_line(session, cart, variant_id, quantity, rows=rows)
    missing = [line.variant_id for line in cart.lines if line.variant_id not in rows]
    if missing:  # lines another request added while this one waited for the cart's lock
        rows.update(await _variant_rows(session, missing))
    return PricedCart(cart, [_price_line(line, rows.get(line.variant_id)) for line in cart.lines])


async def add_to_guest_cart(session: AsyncSession, token: str, variant_id: int, quantity: int) -> PricedCart | None:
    """Add to a guest's open cart in one statement (PostgreSQL), or ``None``: then nothing was
    written, and :func:`add_line_and_price` on the cart as read takes over.

    Adding is the storefront's busiest write, and most adds go to a guest cart that nobody else is
    changing. For those, one statement (:func:`_guest_addition`) touches the cart (its lock), writes
    the line, and returns every line of the cart with its catalog columns; the checks then judge
    the line as written. A refusal raises, and the request's transaction takes the write back.
    ``None`` when the database is not PostgreSQL, or the token names no open guest cart of the
    store, or the cart changed after this statement's snapshot (another request's change
    committed while this one waited for the lock: the lines read would miss it).
    """
    if dialect_of(session) != "postgresql":
        return None
    _check_quantity(quantity)
    rows = (await session.execute(_guest_addition(), {"digest": token_digest(token), "now": utcnow(),
                                                      "variant": variant_id, "units": quantity})).all()
    if not rows:
        return None
    cart = Cart(id=rows[0].cart_id, currency=rows[0].currency, status=CartStatus.open)  # transient: for the answer
    lines = [(_Wanted(row.variant_id, row.quantity, row.line_id),
              CatalogRow._make(row[-_CATALOG_WIDTH:]) if row.product_id is not None else None)
             for row in rows if row.line_id is not None]
    added = next(((line, row) for line, row in lines if line.variant_id == variant_id), None)
    if added is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    _check_quantity(added[0].quantity)
    problem = _price_line(*added).problem
    if problem:
        raise Conflict(problem)
    if added[0].quantity == quantity and len(lines) > MAX_LINES:  # a new line, one too many
        raise Conflict(f"A cart holds at most {MAX_LINES} different items.")
    return PricedCart(cart, [_price_line(line, row) for line, row in lines])


@functools.cache
def _guest_addition():
    """PostgreSQL, built once: touch the open guest cart whose token digest is ``digest`` if it
    is still as this statement's snapshot has it, add ``units`` of ``variant`` to it (a variant of
    the store), and return a row per line of the cart as it now is (``cart_id``, ``currency``,
    ``line_id``, ``variant_id``, ``quantity``, then :func:`_catalog_table_columns`; a line-less row when
    the variant is not the store's and the cart had no lines). No row: nothing was touched.

    A data-modifying WITH cannot see its own writes, so the lines are the written one plus the
    others as the snapshot has them. Those are current when the cart's ``updated_at`` is (every
    change to a cart's lines touches the cart): the touch requires it to be the snapshot's.
    """
    carts, lines, variants = Cart.__table__, CartLine.__table__, ProductVariant.__table__
    c, l = carts.c, lines.c
    now, variant = bindparam("now", type_=c.updated_at.type), bindparam("variant", type_=Integer)
    snapshot = carts.alias("as_read")
    touched = (update(carts)
               .where(c.token_digest == bindparam("digest", type_=String), c.store_id == bound_store_id(),
                      c.status == CartStatus.open, c.customer_id.is_(None),
                      c.updated_at == select(snapshot.c.updated_at).where(snapshot.c.id == c.id).scalar_subquery())
               .values(updated_at=now).returning(c.id, c.currency).cte("touched"))
    new_line = (select(bound_store_id(), touched.c.id, variant, bindparam("units", type_=Integer), now, now)
                .select_from(touched.join(variants, and_(variants.c.id == variant,
                                                         variants.c.store_id == bound_store_id()))))
    adding = pg_insert(lines).from_select(["store_id", "cart_id", "variant_id", "quantity", "created_at",
                                           "updated_at"], new_line)
    written = (adding.on_conflict_do_update(
        index_elements=[l.cart_id, l.variant_id],
        set_={"quantity": l.quantity + adding.excluded.quantity, "updated_at": adding.excluded.updated_at})
        .returning(l.id, l.variant_id, l.quantity).cte("written"))
    others = select(l.id, l.variant_id, l.quantity).where(
        l.cart_id == select(touched.c.id).scalar_subquery(), l.store_id == bound_store_id(), l.variant_id != variant)
    now_held = union_all(select(written.c.id, written.c.variant_id, written.c.quantity), others).subquery("held")
    products = Product.__table__
    return (select(touched.c.id.label("cart_id"), touched.c.currency, now_held.c.id.label("line_id"),
                   now_held.c.variant_id, now_held.c.quantity, *_catalog_table_columns())
            .select_from(touched)
            .outerjoin(now_held, true())
            .outerjoin(variants, and_(variants.c.id == now_held.c.variant_id, variants.c.store_id == bound_store_id()))
            .outerjoin(products, and_(products.c.id == variants.c.product_id, products.c.store_id == bound_store_id()))
            .order_by(now_held.c.id))


def _line(cart: Cart, line_id: int) -> CartLine:
    line = next((l for l in cart.lines if l.id == line_id), None)
    if line is None:
        raise NotFound(f"No line {line_id} in this cart.")
    return line


async def set_quantity(session: AsyncSession, cart: Cart, line_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    await lock_open_cart(session, cart)  # first: it may re-read the lines another request changed
    line = _line(cart, line_id)
    if quantity == 0:
        cart.lines.remove(line)
        await session.flush()
    else:
        _check_quantity(quantity)
        if quantity > line.quantity:
            await _check_sellable(session, line.variant_id, quantity)
        await _write_quantity(session, line, quantity)


async def remove_line(session: AsyncSession, cart: Cart, line_id: int) -> None:
    await set_quantity(session, cart, line_id, 0)
