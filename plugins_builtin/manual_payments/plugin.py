"""Hook implementations only; the logic is in :mod:`plugins_builtin.manual_payments.service`."""

from __future__ import annotations

from plugin_sdk import PluginInfo, hookimpl
from plugins_builtin.manual_payments import service
from plugins_builtin.manual_payments.settings import ManualPaymentsSettings

pyc_plugin_info = PluginInfo(description="Bank transfer and cash on delivery: the merchant marks orders paid.",
                             category="payment", kernel=">=0.1")


@hookimpl
def pyc_plugin_settings():
    return ManualPaymentsSettings


@hookimpl
def pyc_payment_methods(cart, settings):
    return service.payment_methods(cart, settings)


@hookimpl
def pyc_create_payment(store, order, method, amount, settings):
    return service.create_payment(order, method, amount, settings, store.locale)


@hookimpl
def pyc_capture_payment(payment, amount):
    return service.capture_payment(amount)


@hookimpl
def pyc_refund_payment(payment, amount):
    return service.refund_payment(amount)
