"""Query parameters read in one validation answer, and are documented, as FastAPI's own reading would be.

Each case is asked of two routes of one app: one declaring the parameters to FastAPI one by one,
one reading the same parameters as a :class:`~kernel.query_models.QueryModel`.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import AfterValidator, Field

from kernel.errors import install_error_handlers
from kernel.query_models import QueryModel, query_parameters, read_query


class Colour(str, Enum):
    red = "red"
    blue = "blue"


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL bytes are not allowed")
    return value


class Filters(QueryModel):
    q: Annotated[str | None, Field(max_length=5, description="Words.", examples=["tee"])] = None
    colour: Annotated[Colour | None, Field(description="A colour.", examples=["red"])] = None
    tag: Annotated[list[Annotated[str, AfterValidator(no_nul)]], Field(max_length=3, description="Repeat.",
                                                                        examples=[["a"]])] = []
    in_stock: Annotated[bool | None, Field(description="Sellable.", examples=[True])] = None
    limit: Annotated[int, Field(ge=1, le=100, description="Page size.", examples=[20])] = 20


class Search(Filters):
    q: Annotated[str, Field(min_length=1, max_length=5, description="Words.", examples=["tee"])]


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fastapi")
    async def by_fastapi(q: Annotated[str | None, Query(max_length=5, description="Words.", examples=["tee"])] = None,
                         colour: Annotated[Colour | None, Query(description="A colour.", examples=["red"])] = None,
                         tag: Annotated[list[Annotated[str, AfterValidator(no_nul)]], Query(
                             max_length=3, description="Repeat.", examples=[["a"]])] = [],  # noqa: B006
                         in_stock: Annotated[bool | None, Query(description="Sellable.", examples=[True])] = None,
                         limit: Annotated[int, Query(ge=1, le=100, description="Page size.", examples=[20])] = 20):
        return {"q": q, "colour": colour, "tag": tag, "in_stock": in_stock, "limit": limit}

    @app.get("/model", openapi_extra=query_parameters(Filters))
    async def by_model(filters: Annotated[Filters, Depends(read_query(Filters))]):
        return filters.model_dump()

    @app.get("/search", openapi_extra=query_parameters(Search))
    async def search(found: Annotated[Search, Depends(read_query(Search))]):
        return found.model_dump()

    return app


CASES = ["", "limit=5", "q=tee&colour=blue&tag=a&tag=b&in_stock=yes&limit=100", "limit=5&limit=6",
         "unknown=1&limit=7", "limit=", "limit=0", "limit=abc", "limit=101", "colour=green", "q=toolong",
         "tag=a&tag=b&tag=c&tag=d", "tag=a%00b", "in_stock=maybe", "tag=", "limit=1&colour=red&colour=blue"]


@pytest.mark.parametrize("query", CASES)
async def test_a_query_model_answers_as_fastapis_parameters_do(query):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t") as client:
        expected = await client.get(f"/fastapi?{query}")
        answered = await client.get(f"/model?{query}")
    assert answered.status_code == expected.status_code, (query, answered.text, expected.text)
    if expected.status_code == 200:
        assert answered.json() == expected.json()
    else:
        assert expected.status_code == 422
        assert answered.json()["errors"] == expected.json()["errors"], query


async def test_a_required_field_is_required():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t") as client:
        missing = await client.get("/search?limit=5")
        found = await client.get("/search?q=tee")
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["query", "q"]
    assert found.status_code == 200 and found.json()["q"] == "tee"


def _resolved(schema, components):
    """A parameter schema with references to components replaced by them, without titles."""
    if isinstance(schema, list):
        return [_resolved(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        schema = {**components[schema["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    return {k: _resolved(v, components) for k, v in schema.items() if k != "title"}


def test_a_query_model_is_documented_as_fastapis_parameters_are():
    spec = make_app().openapi()
    components = spec["components"]["schemas"]
    expected = {p["name"]: p for p in spec["paths"]["/fastapi"]["get"]["parameters"]}
    documented = {p["name"]: p for p in spec["paths"]["/model"]["get"]["parameters"]}
    assert list(documented) == list(expected)
    for name, parameter in expected.items():
        ours = documented[name]
        assert (ours["in"], ours["required"], ours.get("description")) == \
            (parameter["in"], parameter["required"], parameter.get("description")), name
        assert _resolved(ours["schema"], components) == _resolved(parameter["schema"], components), name
    assert [p["required"] for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "q"] == [True]
