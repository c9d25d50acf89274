"""Job handlers for the job tests, importable by worker subprocesses (PYCOMMERCE_JOB_MODULES).

Side effects go to ``test_job_effects``, a table the tests create (not part of the
schema), one row per handler run, so "done exactly once" is counted, not assumed.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import create_engine, select, text

from kernel.db import sync_url
from kernel.events.models import OutboxEvent
from kernel.jobs import job_handler

EFFECTS_TABLE = "test_job_effects"
# In-process observations of the store-binding probe: (job id, bound store, stores visible, pg setting).
PROBES: list[tuple[int, int | None, set[int], str | None, int | None]] = []
GATE: dict[int, asyncio.Event] = {}


def ensure_effects_table(database) -> None:
    """Create the side-effect table as the owner and let the app role write it."""
    engine = create_engine(sync_url(database.owner_url))
    pk = "id serial primary key" if database.backend == "postgresql" else "id integer primary key"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {EFFECTS_TABLE} "
                                f"({pk}, job_id integer not null, worker varchar(200), note varchar(200))"))
        if database.backend == "postgresql":
            connection.execute(text("GRANT SELECT, INSERT, UPDATE, DELETE ON test_job_effects TO pyc_test_app"))
            connection.execute(text("GRANT USAGE, SELECT ON SEQUENCE test_job_effects_id_seq TO pyc_test_app"))
    engine.dispose()


async def _record(session, job, note: str = "") -> None:
    await session.execute(text(f"INSERT INTO {EFFECTS_TABLE} (job_id, worker, note) VALUES (:j, :w, :n)"),
                          {"j": job.id, "w": job.worker, "n": note})


@job_handler("test.record")
async def record(session, job) -> None:
    if job.payload.get("sleep"):
        await asyncio.sleep(job.payload["sleep"])
    await _record(session, job)


@job_handler("test.block_in")
async def block_in(session, job) -> None:
    """Hangs in the worker named ``payload['worker']`` (until it is killed or cancels the job); records elsewhere."""
    await _record(session, job, "before-block")  # rolled back unless the job completes
    if job.worker == job.payload.get("worker"):
        await asyncio.Event().wait()


@job_handler("test.gate")
async def gate(session, job) -> None:
    """Waits for the test to open ``GATE[job.payload['gate']]`` (in-process only), then records."""
    await GATE[job.payload["gate"]].wait()
    await _record(session, job, "gated")


@job_handler("test.fail")
async def fail(session, job) -> None:
    await _record(session, job, "attempt")  # rolled back with the failure
    raise RuntimeError(job.payload.get("message", "boom"))


@job_handler("test.probe_store")
async def probe_store(session, job) -> None:
    visible = set((await session.execute(select(OutboxEvent.store_id))).scalars())
    setting = None
    raw = None
    if session.bind.dialect.name == "postgresql":
        setting = (await session.execute(text("select current_setting('app.store_id', true)"))).scalar()
        # text() is not scoped by the ORM: only row-level security stands between it and other stores.
        raw = (await session.execute(text("select count(distinct store_id) from outbox_events"))).scalar()
    PROBES.append((job.id, session.info.get("store_id"), visible, setting, raw))
