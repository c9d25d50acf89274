"""The hook reference of docs/plugins.md, generated from :mod:`kernel.hookspecs` (one source).

    python -m kernel.plugins.guide          # rewrite the reference section of docs/plugins.md

A test compares the section with what this module generates, and runs every example
through the kernel's real call, so the guide cannot drift from the contract.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from kernel import hookspecs

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BEGIN = "<!-- hook reference: generated from kernel/hookspecs.py by `python -m kernel.plugins.guide` -->"
END = "<!-- end of the hook reference -->"

# Every example in the reference starts with these imports (the test runs each example after them).
PREAMBLE = """\
import hmac
from pathlib import Path

from fastapi import APIRouter
from pydantic import Field

from plugin_sdk import PaymentMethod, PaymentResult, PluginSettings, Secret, ShippingRate, TaxLine, deps, hookimpl
"""


def signature(name: str) -> str:
    """``name(arg: type, …) -> type`` as written in hookspecs.py (annotations are strings there)."""
    spec = getattr(hookspecs, name)
    annotations = spec.__annotations__
    params = ", ".join(f"{p}: {annotations[p]}" if p in annotations else p
                       for p in inspect.signature(spec).parameters)
    return f"{name}({params}) -> {annotations.get('return', 'Any')}"


def example(name: str) -> str:
    """The hook's example, dedented (the indented block after ``Example::``)."""
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    _, _, block = doc.partition("Example::\n")
    return inspect.cleandoc("\n" + block).strip() + "\n"


def _markdown(doc: str) -> str:
    """A hook docstring as Markdown: ``:param:`` lines become a list, the example a code block."""
    text, _, _ = doc.partition("Example::")
    lines, out = text.strip().splitlines(), []
    for line in lines:
        param = re.match(r":param (\w+): (.*)", line)
        if param:
            out.append(f"* `{param.group(1)}`: {param.group(2)}")
        elif line.startswith(":return:"):
            out.append(f"* returns: {line[len(':return:'):].strip()}")
        elif line.startswith(".. versionadded::"):
            out.append(f"*Since {line.split('::')[1].strip()}.*")
        elif re.match(r"\s+\S", line) and out and out[-1].startswith("* "):
            out[-1] += " " + line.strip()  # a wrapped :param: line
        else:
            out.append(line)
    return re.sub(r"``([^`]+)``", r"`\1`", "\n".join(out)).strip()


def _section(name: str) -> str:
    rule = hookspecs.RULES[name]
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    return (f"### `{signature(name)}`\n\n**How it is called:** {rule.describe()}\n\n{_markdown(doc)}\n\n"
            f"```python\n{example(name)}```\n")


def hook_reference() -> str:
    stable = [n for n, r in hookspecs.RULES.items() if not r.provisional]
    provisional = [n for n, r in hookspecs.RULES.items() if r.provisional]
    parts = [BEGIN, "", "Every example below is a complete plugin module once it starts with these imports:", "",
             f"```python\n{PREAMBLE}```", ""]
    parts += [_section(n) for n in stable]
    parts += ["### Provisional hooks", "",
              "Declared so that plugins written for upcoming features (the admin dashboard, documents, AI "
              "providers) can be registered, but **no feature calls them yet**: their signatures and rules may "
              "still change. Do not rely on them.", ""]
    parts += [_section(n).replace("### `", "#### `", 1) for n in provisional]
    parts += [END]
    return "\n".join(parts) + "\n"


def current_reference(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end] + "\n"


def main() -> None:
    text = GUIDE.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    GUIDE.write_text(text[:start] + hook_reference().rstrip("\n") + text[end:])
    print(f"rewrote the hook reference of {GUIDE}", file=sys.stderr)


if __name__ == "__main__":
    main()
