"""A plugin's settings form, drawn from its settings JSON schema and read back into the values to
validate: nested objects are fieldsets, lists of objects are repeated fieldsets (each can be
removed, one blank one adds an item), lists of words are comma-separated, booleans are checkboxes,
enums are menus. Secret fields are write-only: never filled in, left empty they keep what is
stored (the API's mask), typed into they replace it.

Every input is named by its path under ``settings`` (``settings.zones.0.methods.1.price``), which
is the path of the validation error pydantic reports for it, so each error lands beside its field.
Values are read back leniently (a number field holding "abc" is passed on as text): the plugin's
model is what decides, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python

from kernel.plugins.settings import MASK

ROOT = "settings"
REMOVE = "__remove"
PRESENT = "__present"  # marks a rendered checkbox, so unchecked reads as False


@dataclass
class Field:
    """One node of the form: ``kind`` is object, list, words, boolean, choice, number, secret or text."""

    path: str
    label: str
    kind: str
    value: Any = None
    help: str = ""
    required: bool = False
    choices: list[Any] = field(default_factory=list)
    children: list["Field"] = field(default_factory=list)
    items: list[list["Field"]] = field(default_factory=list)  # kind "list": one field list per item

    @property
    def id(self) -> str:
        return self.path.replace(".", "-")


def _resolve(schema: dict, defs: dict) -> tuple[dict, bool]:
    """The schema behind a ``$ref`` / ``anyOf [X, null]``, and whether null is allowed."""
    nullable = False
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        schema = {**schema, **(options[0] if options else {})}
        schema.pop("anyOf", None)
    if "$ref" in schema:
        schema = {**defs[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema, nullable


def _kind(schema: dict, defs: dict) -> str:
    if schema.get("x-secret") or schema.get("writeOnly"):
        return "secret"
    if "enum" in schema:
        return "choice"
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        return "object"
    if kind == "array":
        items, _ = _resolve(schema.get("items", {}), defs)
        return "list" if items.get("type") == "object" and "properties" in items else "words"
    return {"boolean": "boolean", "integer": "number", "number": "number"}.get(kind, "text")


def build(schema: dict, values: dict | None) -> list[Field]:
    """The form's fields for ``values`` (the plugin's masked settings; defaults may be models)."""
    return _object_fields(schema, schema.get("$defs", {}), to_jsonable_python(values or {}), ROOT)


def _object_fields(schema: dict, defs: dict, values: dict, path: str) -> list[Field]:
    required = set(schema.get("required", ()))
    return [_field(prop, defs, values.get(name), f"{path}.{name}", name in required)
            for name, prop in schema.get("properties", {}).items()]


def _field(raw: dict, defs: dict, value: Any, path: str, required: bool) -> Field:
    schema, _nullable = _resolve(raw, defs)
    kind = _kind(schema, defs)
    node = Field(path, schema.get("title") or path.rsplit(".", 1)[-1], kind, help=schema.get("description", ""),
                 required=required, choices=list(schema.get("enum", ())))
    if kind == "object":
        node.children = _object_fields(schema, defs, value or {}, path)
    elif kind == "list":
        item_schema, _ = _resolve(schema["items"], defs)
        existing = list(value or [])
        node.items = [_object_fields(item_schema, defs, item or {}, f"{path}.{i}") for i, item in enumerate(existing)]
        node.items.append(_object_fields(item_schema, defs, {}, f"{path}.{len(existing)}"))  # the blank "add" item
    elif kind == "words":
        node.value = ", ".join(str(v) for v in value or ())
    elif kind == "secret":
        node.value = bool(value)  # only whether one is stored
    else:
        node.value = value
    return node


def read(schema: dict, form, stored: dict | None) -> dict[str, Any]:
    """The settings a posted form asks for (to be validated by the plugin's model)."""
    return _read_object(schema, schema.get("$defs", {}), form, ROOT, stored or {})


def _read_object(schema: dict, defs: dict, form, path: str, stored: dict) -> dict[str, Any]:
    values = {}
    for name, prop in schema.get("properties", {}).items():
        found, value = _read(prop, defs, form, f"{path}.{name}", stored.get(name))
        if found:
            values[name] = value
    return values


def _text(form, path: str) -> str | None:
    value = form.get(path)
    return value.strip() if isinstance(value, str) else None


def _read(raw: dict, defs: dict, form, path: str, stored: Any) -> tuple[bool, Any]:
    """(whether the form had this field, its value)."""
    schema, nullable = _resolve(raw, defs)
    kind = _kind(schema, defs)
    if kind == "object":
        return True, _read_object(schema, defs, form, path, stored or {})
    if kind == "list":
        item_schema, _ = _resolve(schema["items"], defs)
        prefix = path + "."
        indexes = sorted({int(key[len(prefix):].split(".", 1)[0]) for key in form.keys()
                          if key.startswith(prefix) and key[len(prefix):].split(".", 1)[0].isdigit()})
        items = []
        for i in indexes:
            if form.get(f"{path}.{i}.{REMOVE}"):
                continue
            item = _read_object(item_schema, defs, form, f"{path}.{i}", {})
            if i >= len(stored or ()) and not _filled(item, item_schema):
                continue  # the blank "add" item, left blank
            items.append(item)
        return True, items
    if kind == "boolean":
        return (f"{path}.{PRESENT}" in form), bool(form.get(path))
    text = _text(form, path)
    if text is None:
        return False, None
    if kind == "secret":
        return True, (MASK if stored else None) if text == "" else text
    if kind == "words":
        words = [w.strip() for w in text.replace("\n", ",").split(",") if w.strip()]
        item_kind = _resolve(schema.get("items", {}), defs)[0].get("type")
        return True, [_number(w) if item_kind in ("integer", "number") else w for w in words]
    if text == "":  # nothing typed: null where allowed, else left out (the default, or "Field required")
        return nullable, None
    if kind == "number":
        return True, _number(text)
    return True, text


def _number(text: str):
    """An int or float when the text is one; otherwise the text itself, for the model to refuse."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _filled(item: dict, schema: dict) -> bool:
    """Whether a new item got anything typed into it (checkboxes alone do not count)."""
    for name, value in item.items():
        prop = schema.get("properties", {}).get(name, {})
        if prop.get("type") == "boolean":
            continue
        if value not in (None, "", [], {}):
            return True
    return False
