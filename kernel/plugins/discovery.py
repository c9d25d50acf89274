"""Finding plugins: the kernel scans the ``pycommerce.plugins`` entry points itself.

pluggy's ``load_setuptools_entrypoints`` silently skips a second distribution
that claims a name already registered, so a typo-squatting or stale package
could shadow a real plugin without anyone noticing. Scanning here lets the
kernel refuse duplicate ids loudly (naming both distributions) and report a
plugin that fails to import (id, distribution, error) instead of crashing the
whole platform for one broken package.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import Distribution, distributions
from typing import Any

log = logging.getLogger("pycommerce.plugins")

PLUGIN_GROUP = "pycommerce.plugins"


class PluginStartupError(RuntimeError):
    """The plugin set is unusable; the platform must not start (the message says why and who)."""


@dataclass(frozen=True)
class PluginSource:
    """One entry point of the plugin group: the plugin id and where it comes from."""

    id: str
    value: str  # "package.module" or "package.module:object"
    distribution: str
    version: str
    load: Callable[[], Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be imported: reported, then left out (unless it is a platform plugin)."""

    id: str
    distribution: str
    error: str


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _unique_distributions(path: list[str] | None) -> Iterable[Distribution]:
    """Each distribution once (the first found on the path wins, as ``importlib.metadata.entry_points`` does)."""
    seen: set[str] = set()
    for dist in distributions(path=path) if path is not None else distributions():
        name = _normalize(dist.metadata["Name"] or "")
        if name in seen:
            continue
        seen.add(name)
        yield dist


def scan_entry_points(path: list[str] | None = None) -> list[PluginSource]:
    """Every plugin entry point installed (or found under ``path``), refusing duplicate ids.

    :raises PluginStartupError: two distributions claim the same plugin id.
    """
    sources: dict[str, PluginSource] = {}
    for dist in _unique_distributions(path):
        for ep in dist.entry_points:
            if ep.group != PLUGIN_GROUP:
                continue
            source = PluginSource(ep.name, ep.value, dist.metadata["Name"], dist.version, ep.load)
            other = sources.get(ep.name)
            if other is not None:
                raise PluginStartupError(
                    f"plugin id {ep.name!r} is claimed by two distributions: {other.distribution} "
                    f"{other.version} ({other.value}) and {source.distribution} {source.version} "
                    f"({source.value}); uninstall one of them")
            sources[ep.name] = source
    return sorted(sources.values(), key=lambda s: s.id)


def load_sources(sources: Iterable[PluginSource], platform_plugins: Iterable[str] = ()
                 ) -> tuple[list[tuple[PluginSource, Any]], list[PluginFailure]]:
    """Import each plugin; a failing one is reported and skipped, a failing platform plugin stops start-up."""
    platform = set(platform_plugins)
    loaded: list[tuple[PluginSource, Any]] = []
    failures: list[PluginFailure] = []
    for source in sources:
        try:
            obj = source.load()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if source.id in platform:
                raise PluginStartupError(
                    f"platform plugin {source.id!r} (distribution {source.distribution}) failed to import: "
                    f"{error}") from exc
            failures.append(PluginFailure(source.id, source.distribution, error))
            log.error("plugin %s (distribution %s) failed to import and is disabled: %s",
                      source.id, source.distribution, error,
                      extra={"plugin": source.id, "distribution": source.distribution})
            continue
        loaded.append((source, obj))
    return loaded, failures
