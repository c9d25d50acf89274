"""Fixture plugin: a table of its own (created by the test, under row-level security) written from a route
through plugin_sdk's dependencies only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from plugin_sdk import deps, hookimpl

PLUGIN_ID = "notes"

# A private metadata: the test creates the table itself (an installed plugin ships an Alembic branch).
notes = Table("contract_notes", MetaData(), Column("id", Integer, primary_key=True),
              Column("store_id", Integer, nullable=False), Column("text", String(200), nullable=False))

router = APIRouter(prefix="/api/v1/stores/{store_slug}/notes")
Writer = Annotated[deps.StaffView, Depends(deps.require_staff("manager", "notes:write"))]


class NoteIn(BaseModel):
    text: str
    fail_after_writing: bool = False
    store_id: int | None = None  # a forged store id, to show the database refusing it


@router.post("", status_code=201, summary="Write a note")
async def write_note(data: NoteIn, store: deps.StoreDep, session: deps.SessionDep, staff: Writer) -> dict[str, int]:
    row_id = (await session.execute(insert(notes).values(store_id=data.store_id or store.id, text=data.text)
                                    .returning(notes.c.id))).scalar_one()
    if data.fail_after_writing:
        raise HTTPException(409, "the note's request failed after writing it")
    return {"id": row_id}


@router.get("", summary="Every note this request can see (no store filter: the database's wall decides)")
async def visible_notes(store: deps.StoreDep, session: deps.SessionDep, staff: Writer) -> list[str]:
    return [r.text for r in (await session.execute(select(notes.c.text).order_by(notes.c.id))).all()]


@hookimpl
def pyc_api_routers():
    return router


@hookimpl
def pyc_api_scopes():
    return {"notes:write": "Write notes."}
