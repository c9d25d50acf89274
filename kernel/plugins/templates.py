"""Storefront templates per store: the theme, overridden by the store's enabled plugins' folders.

A plugin disabled for a store contributes no folder there, so its templates
vanish for that store while other stores keep them. Environments are cached
per folder list (a handful of distinct combinations in practice), never per request.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

from kernel.plugins.relay import Hooks


async def template_dirs(hooks: Hooks) -> list[Path]:
    """The enabled plugins' template folders, in hook order (first wins), for the hooks' store."""
    dirs: list[Path] = []
    for _plugin_id, result in await hooks.template_dirs():
        for directory in result or ():
            path = Path(directory)
            if path not in dirs:
                dirs.append(path)
    return dirs


@lru_cache(maxsize=256)
def _templates(directories: tuple[str, ...]) -> Jinja2Templates:
    return Jinja2Templates(directory=list(directories))


async def store_templates(hooks: Hooks, theme_dir: str | Path) -> Jinja2Templates:
    """A Jinja environment searching the store's plugin folders first, then ``theme_dir``."""
    dirs = [str(d) for d in await template_dirs(hooks)] + [str(theme_dir)]
    return _templates(tuple(dirs))
