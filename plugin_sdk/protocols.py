"""Structural types for the objects plugins hand to the kernel, and the shapes of their hook sets.

They are ``typing.Protocol``s: implement the methods, no base class needed, and
a type checker (or ``isinstance`` with ``runtime_checkable``) confirms the fit.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from plugin_sdk.settings import PluginSettings
from plugin_sdk.types import (CartView, OrderView, PaymentMethod, PaymentResult, PaymentView, ShippingRate, StoreInfo,
                              TaxLine)


@runtime_checkable
class PaymentGateway(Protocol):
    """What a payment plugin implements (as its ``pyc_payment_methods`` / ``pyc_*_payment`` hooks)."""

    def pyc_payment_methods(self, store: StoreInfo, cart: CartView, settings: PluginSettings | None
                            ) -> list[PaymentMethod] | None: ...

    def pyc_create_payment(self, store: StoreInfo, order: OrderView, method: str, amount: int, idempotency_key: str,
                           settings: PluginSettings | None) -> PaymentResult | None: ...

    def pyc_capture_payment(self, store: StoreInfo, order: OrderView, payment: PaymentView, amount: int,
                            settings: PluginSettings | None) -> PaymentResult | None: ...

    def pyc_refund_payment(self, store: StoreInfo, order: OrderView, payment: PaymentView, amount: int,
                           settings: PluginSettings | None) -> PaymentResult | None: ...


@runtime_checkable
class ShippingProvider(Protocol):
    """What a shipping plugin implements."""

    def pyc_shipping_rates(self, store: StoreInfo, cart: CartView, settings: PluginSettings | None
                           ) -> list[ShippingRate] | None: ...


@runtime_checkable
class TaxEngine(Protocol):
    """What a tax plugin implements (one engine per store: the first non-None answer wins)."""

    def pyc_tax_lines(self, store: StoreInfo, cart: CartView, shipping: ShippingRate | None,
                      settings: PluginSettings | None) -> list[TaxLine] | None: ...


@runtime_checkable
class AIProvider(Protocol):
    """A text (and optionally image) generator returned by ``pyc_ai_providers``."""

    async def generate_text(self, *, prompt: str, settings: Any = None) -> str: ...


@runtime_checkable
class DocumentRenderer(Protocol):
    """Renders one kind of document (invoice, packing slip…) to bytes; returned by ``pyc_document_renderers``."""

    content_type: str

    async def render(self, *, store: StoreInfo, kind: str, context: dict[str, Any]) -> bytes: ...
