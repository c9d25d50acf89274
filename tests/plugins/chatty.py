"""Fixture plugin: logs through its own module logger, as a plugin author would."""

from __future__ import annotations

import logging

from plugin_sdk import hookimpl

PLUGIN_ID = "chatty"
log = logging.getLogger(__name__)


@hookimpl
def pyc_shipping_rates(cart):
    log.warning("quoting a cart")
    return []
