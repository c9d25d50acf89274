"""The event catalog: every domain event the kernel emits, as a versioned, typed payload.

A handler receives an :class:`Event` envelope (``id``, ``name``, ``version``,
``store_id``, ``occurred_at``) whose ``data`` is the payload model of that event::

    from plugin_sdk import hookimpl
    from plugin_sdk.events import OrderPlaced

    @hookimpl
    async def pyc_on_event(store, event):
        if isinstance(event.data, OrderPlaced):
            print(f"order {event.data.number} placed: {event.data.total} {event.data.currency}")

Payloads are frozen and refuse unknown fields, so what a handler reads is exactly
what the catalog documents (``docs/events.md`` is generated from these models).
Money is an integer in minor units beside its ISO 4217 currency; an order's
``number`` is a string, as in :class:`plugin_sdk.types.OrderView`.

**Versions.** A payload model carries its event's name and version. A change that
could break a handler (a field removed, renamed or retyped) is a new version:
a new model registered under the same name with ``version=2``, the older one kept
so that events already in the outbox or in retry still parse. Adding an optional
field is not a new version.

A plugin may declare events of its own the same way, named after its plugin id
(``@catalog_event("acme_erp.synced")``), and emit them with the kernel's
``emit_event(session, payload)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_validator


class EventPayload(BaseModel):
    """The base of every event's payload: frozen, no fields beyond the declared ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_name: ClassVar[str]
    event_version: ClassVar[int]

    @classmethod
    def example(cls) -> "EventPayload":
        """The payload built from each field's first documented example (the catalog's example)."""
        return cls.model_validate({name: field.examples[0] for name, field in cls.model_fields.items()})


P = TypeVar("P", bound=type[EventPayload])

# (name, version) -> model, and name -> the newest version's model.
_BY_VERSION: dict[tuple[str, int], type[EventPayload]] = {}
_CURRENT: dict[str, type[EventPayload]] = {}


class UnknownEvent(LookupError):
    """No payload model is registered for an event's name and version."""


def catalog_event(name: str, *, version: int = 1) -> Callable[[P], P]:
    """Register a payload model as event ``name``, version ``version``: ``@catalog_event("order.placed")``."""

    def register(model: P) -> P:
        existing = _BY_VERSION.get((name, version))
        if existing is not None and existing.__qualname__ != model.__qualname__:
            raise ValueError(f"event {name!r} version {version} declared twice: by {existing.__module__}."
                             f"{existing.__qualname__} and by {model.__module__}.{model.__qualname__}")
        model.event_name, model.event_version = name, version
        _BY_VERSION[(name, version)] = model
        if name not in _CURRENT or _CURRENT[name].event_version <= version:
            _CURRENT[name] = model
        return model

    return register


def payload_model(name: str, version: int | None = None) -> type[EventPayload]:
    """The model of event ``name`` at ``version`` (the newest one when ``version`` is ``None``)."""
    model = _CURRENT.get(name) if version is None else _BY_VERSION.get((name, version))
    if model is None:
        raise UnknownEvent(f"no event {name!r}" + (f" version {version}" if version is not None else "")
                           + " in the catalog")
    return model


def catalog() -> Iterator[type[EventPayload]]:
    """Every event's newest model, by name."""
    for name in sorted(_CURRENT):
        yield _CURRENT[name]


class Event(BaseModel):
    """A domain event as delivered to a consumer (at least once: dedupe on ``id``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Unique per event; the same on every delivery of it.")
    name: str = Field(examples=["order.placed"])
    version: int = Field(ge=1, description="The payload's version (see the catalog).")
    store_id: int
    occurred_at: datetime = Field(description="When the change committed its event (UTC).")
    data: SerializeAsAny[EventPayload]

    @model_validator(mode="after")
    def _data_matches_name(self) -> "Event":
        model = type(self.data)
        if (getattr(model, "event_name", None), getattr(model, "event_version", None)) != (self.name, self.version):
            raise ValueError(f"data is a {model.__name__}, not event {self.name!r} v{self.version}")
        return self

    @classmethod
    def parse(cls, *, id: str, name: str, version: int, store_id: int, occurred_at: datetime,
              data: dict[str, Any]) -> "Event":
        """An envelope from stored JSON, its ``data`` validated by the catalog's model of that version."""
        return cls(id=id, name=name, version=version, store_id=store_id, occurred_at=occurred_at,
                   data=payload_model(name, version).model_validate(data))


Currency = Annotated[str, Field(examples=["USD"], min_length=3, max_length=3,
                                description="ISO 4217 code of every amount.")]


def _status_after(example: str, description: str = "The order's status after the change."):
    return Field(examples=[example], description=description)


# --- orders -----------------------------------------------------------------------------------------

class _OrderEvent(EventPayload):
    order_id: int = Field(examples=[17], description="The order's id (`/orders/{order_id}`).")
    number: str = Field(examples=["1001"], description="The order number shoppers and staff see.")
    status: str = _status_after("pending_payment")
    total: int = Field(examples=[4824], description="The order's total, minor units.")
    currency: Currency


@catalog_event("order.placed")
class OrderPlaced(_OrderEvent):
    """A shopper placed an order (its payment is started; stock is taken)."""

    email: str = Field(examples=["ada@example.com"], description="Where the shopper is reached.")
    customer_id: int | None = Field(examples=[None], description="The customer account, or none for a guest.")
    subtotal: int = Field(examples=[3998], description="The lines' prices times quantities, minor units.")
    discount_total: int = Field(examples=[0], description="Minor units.")
    shipping_total: int = Field(examples=[500], description="Minor units.")
    tax_total: int = Field(examples=[326], description="Minor units (included in the prices or added, per store).")


@catalog_event("order.paid")
class OrderPaid(_OrderEvent):
    """The order is paid: its payment was captured (at checkout, or marked received by staff)."""

    status: str = _status_after("paid")
    payment_id: int = Field(examples=[9], description="The payment that was captured.")
    amount: int = Field(examples=[4824], description="What this payment captured, minor units.")


@catalog_event("order.cancelled")
class OrderCancelled(_OrderEvent):
    """Staff cancelled the order; what it took from stock is back."""

    status: str = _status_after("cancelled")
    reason: str = Field(examples=["Customer changed their mind."], description="As staff gave it (may be empty).")


@catalog_event("order.fulfilled")
class OrderFulfilled(_OrderEvent):
    """Every unit of the order has shipped."""

    status: str = _status_after("fulfilled")
    carrier: str = Field(examples=["UPS"], description="The last shipment's carrier (may be empty).")
    tracking_number: str = Field(examples=["1Z999AA10123456784"], description="The last shipment's (may be empty).")


@catalog_event("order.refunded")
class OrderRefunded(_OrderEvent):
    """Part or all of what was paid was refunded (``status`` says which)."""

    status: str = _status_after("partially_refunded", "'partially_refunded' or 'refunded'.")
    refund_id: int = Field(examples=[3], description="The refund record.")
    amount: int = Field(examples=[1000], description="This refund, minor units.")
    refunded_total: int = Field(examples=[1000], description="Everything refunded on the order so far.")
    reason: str = Field(examples=["Damaged in transit."], description="As staff gave it (may be empty).")


# --- payments ---------------------------------------------------------------------------------------

class _PaymentEvent(EventPayload):
    payment_id: int = Field(examples=[9], description="The payment record.")
    order_id: int = Field(examples=[17], description="The order it pays.")
    order_number: str = Field(examples=["1001"], description="That order's number.")
    plugin_id: str = Field(examples=["manual_payments"], description="The gateway plugin.")
    method: str = Field(examples=["bank_transfer"], description="The payment method's code.")
    amount: int = Field(examples=[4824], description="Minor units.")
    currency: Currency


@catalog_event("payment.captured")
class PaymentCaptured(_PaymentEvent):
    """A payment's money was captured."""

    reference: str | None = Field(examples=["ch_3PqY2b"], description="The gateway's id for the payment.")


@catalog_event("payment.failed")
class PaymentFailed(_PaymentEvent):
    """The gateway declined to capture a payment; the order stays unpaid."""

    error: str = Field(examples=["card_declined"], description="The gateway's reason, as it gave it.")


@catalog_event("payment.refunded")
class PaymentRefunded(_PaymentEvent):
    """Money went back to the shopper through the payment's gateway."""

    amount: int = Field(examples=[1000], description="This refund, minor units.")
    refund_id: int = Field(examples=[3], description="The refund record.")
    refunded_amount: int = Field(examples=[1000], description="Everything refunded on this payment so far.")
    reference: str | None = Field(examples=["re_3PqY2b"], description="The gateway's id for the refund.")


# --- inventory --------------------------------------------------------------------------------------

@catalog_event("stock.low")
class StockLow(EventPayload):
    """A change took a variant's stock from above its low-stock threshold to at or below it."""

    variant_id: int = Field(examples=[31], description="The variant whose stock is low.")
    product_id: int = Field(examples=[12], description="Its product.")
    sku: str = Field(examples=["TEE-BLK-M"], description="The variant's SKU.")
    stock_on_hand: int = Field(examples=[2], description="Units on hand after the change.")
    threshold: int = Field(examples=[3], description="The variant's low-stock threshold.")


# --- customers --------------------------------------------------------------------------------------

@catalog_event("customer.created")
class CustomerCreated(EventPayload):
    """A shopper created a customer account in the store."""

    customer_id: int = Field(examples=[5], description="The new customer account.")
    email: str = Field(examples=["ada@example.com"], description="Its sign-in email (lower-cased).")
    full_name: str = Field(examples=["Ada Lovelace"], description="As the shopper gave it (may be empty).")


# --- catalog ----------------------------------------------------------------------------------------

class _ProductEvent(EventPayload):
    product_id: int = Field(examples=[12], description="The product's id.")
    slug: str = Field(examples=["black-tee"], description="Its URL slug, unique in the store.")
    name: str = Field(examples=["Black tee"], description="Its name.")


@catalog_event("product.created")
class ProductCreated(_ProductEvent):
    """A product was created (through the API or a CSV import)."""

    status: str = Field(examples=["draft"], description="'draft', 'active' or 'archived'.")


@catalog_event("product.updated")
class ProductUpdated(_ProductEvent):
    """A product or its variants changed (through the API or a CSV import); once per product and request."""

    status: str = Field(examples=["active"], description="'draft', 'active' or 'archived'.")


@catalog_event("product.deleted")
class ProductDeleted(_ProductEvent):
    """A product was deleted with its variants."""


__all__ = [
    "CustomerCreated", "Event", "EventPayload", "OrderCancelled", "OrderFulfilled", "OrderPaid", "OrderPlaced",
    "OrderRefunded", "PaymentCaptured", "PaymentFailed", "PaymentRefunded", "ProductCreated", "ProductDeleted",
    "ProductUpdated", "StockLow", "UnknownEvent", "catalog", "catalog_event", "payload_model",
]
