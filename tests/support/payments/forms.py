"""Stripe's request encoding: form fields with bracketed keys (``metadata[order]=42``,
``expand[0]=latest_charge``, ``automatic_payment_methods[enabled]=true``) decoded to nested values."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode(body: str) -> dict:
    """Nested dicts for ``[name]`` parts; lists where every key of a level is an index or ``[]``."""
    root: dict = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if not match:
            root[raw_key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            if part == "":
                part = str(len(node))
            node = node.setdefault(part, {})
        last = path[-1] if path[-1] != "" else str(len(node))
        node[last] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    return {key: _listify(value) for key, value in node.items()}
