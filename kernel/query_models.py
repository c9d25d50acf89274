"""Query parameters read in one validation, documented as FastAPI would document them.

FastAPI (0.16x) reads each declared query parameter on every request by inspecting its
annotation again: is it a model, a sequence, which alias applies. For the product listing's
ten that was a large share of what the listing costs beyond the bare limit, spent on requests
that mostly carry two parameters or none (docs/decisions/query-models.md). FastAPI's own
query-parameter models (``Annotated[Model, Query()]``) walk the same per-field inspection.

A route with many query parameters declares them once, as a :class:`QueryModel`::

    class ProductListing(QueryModel):
        limit: int = Field(20, ge=1, le=100, description="Page size.", examples=[20])

    @router.get("/products", openapi_extra=query_parameters(ProductListing))
    async def list_products(listing: Annotated[ProductListing, Depends(read_query(ProductListing))]): ...

:func:`read_query` validates the request's query string with one pydantic-core call, and a bad
value answers the same 422 as a parameter FastAPI had read (``loc`` = ``["query", name, …]``).
:func:`query_parameters` writes the model's fields as the operation's OpenAPI parameters, with
the schema, description and examples FastAPI would have written. Unknown parameters are ignored,
as FastAPI ignores them. A field typed as a list reads every value of a repeated parameter; any
other field reads the last one, as FastAPI does.
"""

from __future__ import annotations

import copy
import functools
import typing
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError


class QueryModel(BaseModel):
    """A route's query parameters; each field's alias (or name) is the parameter's name."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


@functools.cache
def _names(model: type[QueryModel]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The model's parameter names, and those that may repeat (list fields)."""
    names, repeated = [], set()
    for name, field in model.model_fields.items():
        key = field.alias or name
        names.append(key)
        if _is_list(field.annotation):
            repeated.add(key)
    return tuple(names), frozenset(repeated)


def read_query(model: type[QueryModel]):
    """A FastAPI dependency returning the request's query parameters as ``model``."""
    names, repeated = _names(model)

    async def dependency(request: Request) -> QueryModel:  # async: FastAPI would run a plain def in a thread
        params = request.query_params
        given = {key: (params.getlist(key) if key in repeated else params[key]) for key in names if key in params}
        try:
            return model.model_validate(given)
        except ValidationError as exc:
            raise RequestValidationError([{**error, "loc": ("query", *error["loc"])}
                                          for error in exc.errors(include_url=False)]) from None

    dependency.__name__ = f"read_{model.__name__}"
    return dependency


@functools.cache
def _parameters(model: type[QueryModel]) -> tuple[dict, ...]:
    schema = model.model_json_schema(mode="validation")
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    out = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        parameter = {"name": key, "in": "query", "required": key in required,
                     "schema": _inlined(schema["properties"][key], definitions)}
        if field.description:
            parameter["description"] = field.description
        out.append(parameter)
    return tuple(out)


def query_parameters(model: type[QueryModel]) -> dict:
    """``openapi_extra`` for a route reading ``model``: its fields as OpenAPI query parameters."""
    return {"parameters": copy.deepcopy(list(_parameters(model)))}


def _inlined(schema: Any, definitions: dict) -> Any:
    """``schema`` with each ``$ref`` to the model's own definitions replaced by the definition
    (an enum, say), so that each parameter stands alone in the OpenAPI document."""
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        merged = {**definitions[ref.removeprefix("#/$defs/")], **{k: v for k, v in schema.items() if k != "$ref"}}
        return _inlined(merged, definitions)
    return {key: _inlined(value, definitions) for key, value in schema.items()}
