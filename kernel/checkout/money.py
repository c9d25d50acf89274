"""Money helpers. Amounts are integers in minor units; the formatting is the plugin SDK's, so the
kernel and plugins write amounts alike."""

from __future__ import annotations

from plugin_sdk.money import currency_exponent as exponent
from plugin_sdk.money import format_money

__all__ = ["exponent", "format_money"]
