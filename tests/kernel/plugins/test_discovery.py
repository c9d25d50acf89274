"""Discovery through entry points: ids, duplicates, unknown hooks, import errors, platform plugins."""

from __future__ import annotations

import logging
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from kernel.plugins import PluginStartupError, build_plugin_manager, manager
from kernel.plugins.discovery import scan_entry_points
from tests.support.dists import make_dist

ROOT = Path(__file__).resolve().parents[3]

GOOD = """
from plugin_sdk import hookimpl

@hookimpl
def pyc_admin_nav(store):
    return [{"label": "Good", "url": "/good"}]
"""

UNKNOWN_HOOK = """
from plugin_sdk import hookimpl

@hookimpl
def pyc_shiping_rates(store, cart):  # typo: no such hook
    return []
"""

BAD_ARGS = """
from plugin_sdk import hookimpl

@hookimpl
def pyc_admin_nav(store, colour):  # asks for an argument the hook does not have
    return []
"""

BROKEN = "raise RuntimeError('broken on purpose: missing configuration')\n"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A private site-packages: modules importable, distributions scanned only when passed as ``path``."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("pyc_fixture_")]:
        del sys.modules[name]


def unique_module() -> str:
    return f"pyc_fixture_{uuid.uuid4().hex[:8]}"


def test_entry_point_name_is_the_plugin_id(site):
    module = unique_module()
    make_dist(site, "acme-good", "1.2.3", {"good": module}, {module: GOOD})
    pm = build_plugin_manager(path=[str(site)])
    assert pm.plugin_ids() == ["good"]
    assert (pm.meta["good"].distribution, pm.meta["good"].version) == ("acme-good", "1.2.3")
    assert pm.hooks_of("good") == ["pyc_admin_nav"]


def test_two_distributions_claiming_one_id_refuse_to_start_naming_both(site):
    first, second = unique_module(), unique_module()
    make_dist(site / "a", "acme-shipping", "1.0", {"shipping": first}, {})
    make_dist(site / "b", "evil-shipping", "6.6.6", {"shipping": second}, {})
    with pytest.raises(PluginStartupError) as info:
        scan_entry_points([str(site / "a"), str(site / "b")])
    message = str(info.value)
    assert "'shipping'" in message and "acme-shipping" in message and "evil-shipping" in message


def test_an_implementation_without_a_hook_spec_stops_start_up(site):
    module = unique_module()
    make_dist(site, "acme-typo", "0.1", {"typo": module}, {module: UNKNOWN_HOOK})
    with pytest.raises(PluginStartupError) as info:
        build_plugin_manager(path=[str(site)])
    message = str(info.value)
    assert "'typo'" in message and "acme-typo" in message and "pyc_shiping_rates" in message
    assert "did you mean 'pyc_shipping_rates'" in message


def test_an_implementation_asking_for_unknown_arguments_stops_start_up(site):
    module = unique_module()
    make_dist(site, "acme-args", "0.1", {"args": module}, {module: BAD_ARGS})
    with pytest.raises(PluginStartupError, match=r"(?s)'args'.*acme-args.*colour"):
        build_plugin_manager(path=[str(site)])


def test_a_plugin_failing_on_import_is_reported_and_left_out(site, caplog):
    good, broken = unique_module(), unique_module()
    make_dist(site, "acme-good", "1.0", {"good": good}, {good: GOOD})
    make_dist(site, "acme-broken", "2.0", {"broken": broken}, {broken: BROKEN})
    caplog.set_level(logging.ERROR, logger="pycommerce.plugins")
    pm = build_plugin_manager(path=[str(site)])
    assert pm.plugin_ids() == ["good"]
    [failure] = pm.failures
    assert (failure.id, failure.distribution) == ("broken", "acme-broken")
    assert "broken on purpose" in failure.error
    assert "broken" in caplog.text and "acme-broken" in caplog.text and "broken on purpose" in caplog.text


def test_a_platform_plugin_failing_on_import_stops_start_up(site, monkeypatch):
    broken = unique_module()
    make_dist(site, "acme-core", "1.0", {"core": broken}, {broken: BROKEN})
    monkeypatch.setattr(manager, "PLATFORM_PLUGINS", ("core",))
    with pytest.raises(PluginStartupError, match=r"(?s)platform plugin 'core'.*acme-core.*broken on purpose"):
        build_plugin_manager(path=[str(site)])


def test_a_missing_platform_plugin_stops_start_up(site, monkeypatch):
    monkeypatch.setattr(manager, "PLATFORM_PLUGINS", ("core",))
    with pytest.raises(PluginStartupError, match="platform plugin.*core"):
        build_plugin_manager(path=[str(site)])


def test_builtin_entry_points_and_plugin_folders_agree():
    """Every folder in plugins_builtin/ is declared in pyproject.toml, and every declaration has its folder."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("entry-points", {}).get(
        "pycommerce.plugins", {})
    builtin_dir = ROOT / "plugins_builtin"
    folders = {p.name for p in builtin_dir.iterdir() if p.is_dir() and (p / "plugin.py").exists()} \
        if builtin_dir.is_dir() else set()
    declared_builtin = {pid: target for pid, target in declared.items() if target.startswith("plugins_builtin.")}
    assert set(declared) == set(declared_builtin), "pyproject declares plugins outside plugins_builtin/"
    for pid, target in declared_builtin.items():
        assert target == f"plugins_builtin.{pid}.plugin", f"{pid}: entry point must be plugins_builtin.{pid}.plugin"
    assert folders == set(declared_builtin), (
        f"undeclared folders: {sorted(folders - set(declared_builtin))}; "
        f"declared without folder: {sorted(set(declared_builtin) - folders)}")
    installed = {s.id for s in scan_entry_points()}
    assert set(declared_builtin) <= installed, "re-run `pip install -e .` after editing the entry points"


def test_fixture_modules_fail_the_same_way():
    """The plain fixture modules in tests/plugins/ go through the same checks as installed ones."""
    import importlib

    from kernel.plugins import PluginSource, register_plugin
    from kernel.plugins.manager import PyCommercePluginManager

    pm = PyCommercePluginManager()
    with pytest.raises(PluginStartupError, match="unknown hook 'pyc_no_such_hook'"):
        register_plugin(pm, importlib.import_module("tests.plugins.unknown_hook"), "unknown", distribution="tests")
    assert pm.get_plugin("unknown") is None  # nothing half-registered
    source = PluginSource("broken", "tests.plugins.broken_on_import", "tests", "0",
                          lambda: importlib.import_module("tests.plugins.broken_on_import"))
    pm = build_plugin_manager(sources=[source])
    assert [(f.id, f.distribution) for f in pm.failures] == [("broken", "tests")]
