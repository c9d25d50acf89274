"""Installed-looking distributions in a temporary folder: a ``.dist-info`` with entry points, and modules.

``importlib.metadata`` reads them exactly as it reads pip-installed packages,
so discovery is tested through the real entry-point machinery without pip.
"""

from __future__ import annotations

from pathlib import Path


def make_dist(root: Path, name: str, version: str, plugins: dict[str, str],
              modules: dict[str, str] | None = None) -> Path:
    """Write distribution ``name`` declaring ``plugins`` ({id: "module[:attr]"}) and ``modules`` ({name: source})."""
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[pycommerce.plugins]", *[f"{pid} = {target}" for pid, target in plugins.items()]]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in (modules or {}).items():
        (root / f"{module}.py").write_text(source)
    return root
