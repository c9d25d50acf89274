"""Fixture plugin implementing every hook, half of them ``async def``, each answer recognisable."""

from __future__ import annotations

from pathlib import Path

from typing import Annotated

from fastapi import APIRouter, Depends

from plugin_sdk import PaymentMethod, PaymentResult, PluginSettings, Secret, ShippingRate, TaxLine, deps, hookimpl
from plugin_sdk.events import OrderCancelled

PLUGIN_ID = "probe"
HERE = Path(__file__).parent
events: list[tuple[str, str, str]] = []


class ProbeSettings(PluginSettings):
    label: str = "probe"
    webhook_secret: Secret | None = None


router = APIRouter(prefix="/api/v1/stores/{store_slug}/probe")
platform_router = APIRouter(prefix="/api/v1/probe")


@router.get("/where", summary="Which store am I")
async def where(store_slug: str) -> dict[str, str]:
    return {"store": store_slug}


@router.get("/secret-count", summary="Which scopes the caller holds (a staff route of the probe)")
async def secret_count(staff: Annotated[deps.StaffView, Depends(deps.require_staff("manager", "probe:read"))]
                       ) -> dict[str, list[str]]:
    return {"scopes": sorted(staff.scopes or ())}


@router.get("/me", summary="The signed-in customer, as the probe sees them")
async def me(customer: deps.CustomerDep) -> dict[str, str]:
    return {"email": customer.email}


@router.post("/poke", summary="A state-changing staff route behind the CSRF check")
async def poke(_csrf: deps.CsrfDep, staff: Annotated[deps.StaffView, Depends(deps.require_staff("staff"))]
               ) -> dict[str, bool]:
    return {"poked": True}


@platform_router.get("/shop", summary="Which storefront this host is")
async def shop(store: deps.StorefrontStoreDep) -> dict[str, str]:
    return {"store": store.slug, "url": store.storefront_url}


@platform_router.get("/alive", summary="Probe platform route")
async def alive() -> dict[str, bool]:
    return {"alive": True}


@hookimpl
def pyc_plugin_settings():
    return ProbeSettings


@hookimpl
def pyc_api_routers():
    return [router, platform_router]


@hookimpl
def pyc_api_scopes():
    return {"probe:read": "Read what the probe knows."}


@hookimpl
async def pyc_admin_nav(store):
    return [{"label": "Probe", "url": f"/admin/{store.slug}/probe"}]


@hookimpl
def pyc_template_dirs(store):
    return [HERE / "templates"]


@hookimpl
def pyc_static_dirs():
    return {"assets": HERE / "probe_static"}


@hookimpl
async def pyc_shipping_rates(store, cart, settings):
    return [ShippingRate(code="probe", name=settings.label, amount=cart.subtotal // 10, currency=cart.currency)]


@hookimpl
def pyc_tax_lines(cart, shipping):
    return [TaxLine(name="Probe tax", rate_bp=1000, amount=cart.subtotal // 10 + (shipping.amount if shipping else 0))]


@hookimpl
def pyc_payment_methods(store, cart):
    return [PaymentMethod(code="probe-pay", name="Probe pay", plugin_id=PLUGIN_ID)]


@hookimpl
async def pyc_create_payment(order, method, amount):
    if method != "probe-pay":
        return None
    return PaymentResult(status="authorized", reference=f"probe-{order.number}", amount=amount)


@hookimpl
def pyc_capture_payment(payment, amount):
    return PaymentResult(status="captured", reference=payment.reference, amount=amount)


@hookimpl
async def pyc_refund_payment(payment, amount):
    return PaymentResult(status="refunded", reference=payment.reference, amount=amount)


@hookimpl
def pyc_gateway_webhook(store, plugin_id, headers, body, settings):
    secret = settings.webhook_secret
    ok = secret is not None and headers.get("x-probe-secret") == secret.get_secret_value()
    return {"plugin": plugin_id, "verified": ok, "bytes": len(body)}


class _Renderer:
    content_type = "text/plain"

    async def render(self, *, store, kind, context):
        return f"{kind} for {store.slug}: {context['number']}".encode()


@hookimpl
def pyc_document_renderers():
    return {"invoice": _Renderer()}


class _Echo:
    async def generate_text(self, *, prompt, settings=None):
        return prompt.upper()


@hookimpl
def pyc_ai_providers():
    return {"echo": _Echo()}


@hookimpl
async def pyc_on_event(store, event, settings):
    if isinstance(event.data, OrderCancelled) and event.data.reason == "fail":
        raise RuntimeError("probe handler failed on purpose")
    events.append((store.slug, event.id, settings.label))


@hookimpl(specname="pyc_gateway_webhook")
def reject_tampered(headers):
    if headers.get("x-tamper"):
        raise ValueError("signature mismatch")
    return None
