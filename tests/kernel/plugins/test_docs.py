"""The author's guide and the hook contract stay one text (Datasette's test_docs).

Every hook has a section in docs/plugins.md headed by its exact signature; a
documented hook that does not exist, or a signature that drifted, fails. Each
section's example is a complete plugin module: it is executed and registered
against the hook specs, and must implement the hook it documents.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from kernel import hookspecs
from kernel.plugins import register_plugin
from kernel.plugins.manager import PyCommercePluginManager

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"
HEADING = re.compile(r"^### `(pyc_\w+)(\(.*\) -> .*)`$", re.M)
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("pyc_"))


def signature(name: str) -> str:
    """``name(arg: type, …) -> type`` as written in hookspecs.py (annotations are strings there)."""
    spec = getattr(hookspecs, name)
    annotations = spec.__annotations__
    params = ", ".join(f"{p}: {annotations[p]}" if p in annotations else p
                       for p in inspect.signature(spec).parameters)
    return f"{name}({params}) -> {annotations.get('return', 'Any')}"


def sections() -> dict[str, tuple[str, str]]:
    """hook name -> (documented signature, section text)."""
    text = GUIDE.read_text()
    matches = list(HEADING.finditer(text))
    found = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        found[match.group(1)] = (match.group(1) + match.group(2), text[match.end():end])
    return found


def test_every_hook_is_documented_with_its_exact_signature():
    documented = sections()
    assert not set(HOOKS) - set(documented), f"undocumented hooks: {sorted(set(HOOKS) - set(documented))}"
    assert not set(documented) - set(HOOKS), f"documented hooks that do not exist: {sorted(set(documented) - set(HOOKS))}"
    drifted = {name: (documented[name][0], signature(name)) for name in HOOKS
               if documented[name][0] != signature(name)}
    assert not drifted, f"documented signatures differ from hookspecs.py (documented, actual): {drifted}"


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hook_example_is_a_working_plugin(hook):
    _, body = sections()[hook]
    blocks = re.findall(r"```python\n(.*?)```", body, re.S)
    assert blocks, f"{hook}: no python example"
    module = types.ModuleType(f"doc_example_{hook}")
    module.__file__ = str(GUIDE)
    exec(compile(blocks[0], f"docs/plugins.md#{hook}", "exec"), module.__dict__)
    pm = PyCommercePluginManager()
    register_plugin(pm, module, "example")
    assert hook in pm.hooks_of("example")


def test_the_hook_docstrings_follow_the_recipe():
    """CONVENTIONS item 2: first line says when/what, :param: per argument, versionadded, an example."""
    problems = []
    for name in HOOKS:
        spec = getattr(hookspecs, name)
        doc = inspect.getdoc(spec) or ""
        if not re.match(r"(Called|Return)\b", doc):
            problems.append(f"{name}: first line must start with 'Called' or 'Return'")
        for param in inspect.signature(spec).parameters:
            if f":param {param}:" not in doc:
                problems.append(f"{name}: no :param {param}:")
        if ".. versionadded::" not in doc or "Example::" not in doc:
            problems.append(f"{name}: needs versionadded and an example")
    assert not problems, problems
