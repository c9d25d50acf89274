"""What a plugin says about itself: :class:`PluginInfo`, set as ``pyc_plugin_info`` in its module.

::

    from plugin_sdk import PluginInfo

    pyc_plugin_info = PluginInfo(description="Rates from Acme Post.", category="shipping",
                                 homepage="https://example.com/acme-post", kernel=">=0.1,<0.2")

``kernel`` is a version specifier (PEP 440) the running kernel's version must satisfy; a plugin
whose specifier it does not satisfy is refused at start-up, the message naming the plugin, its
requirement and the kernel's version.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["payment", "shipping", "tax", "content", "ai", "marketing", "integration", "documents", "other"]


class PluginInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = Field(default="", max_length=500, examples=["Weight-based shipping rates."])
    category: Category = "other"
    homepage: str | None = Field(default=None, max_length=300, examples=["https://example.com/acme-post"])
    kernel: str = Field(default="", max_length=100, examples=[">=0.1,<0.2"],
                        description="PEP 440 specifier of the kernel versions supported; empty: any.")
