"""How handlers reach workers: @job_handler, PYCOMMERCE_JOB_MODULES, and plugins' pyc_job_handlers hook."""

from __future__ import annotations


import pluggy
import pytest
from asgi_lifespan import LifespanManager

from kernel import hookspecs
from kernel.app import create_app
from kernel.jobs import enqueue, job_handler
from kernel.jobs.registry import (_unregister, get_handler, load_job_handlers, register_job_handler_source,
                                  unregister_job_handler_source)
from kernel.jobs.worker import Worker, WorkerOptions
from tests.support.jobs import Jobs

hookimpl = pluggy.HookimplMarker("pycommerce")


async def test_hook_pyc_job_handlers(factory, sessionmaker):
    """A plugin's handlers, returned by the hook (sync or async implementation), run bound to the job's store.

    Uses only the suite-wide fixtures, so the plugin hook tests can import it as their ``test_hook_…``.
    """
    jobs = Jobs(factory)
    ran: list[tuple[int, int | None, str, int]] = []

    class ErpPlugin:
        @hookimpl
        def pyc_job_handlers(self):
            async def sync_stock(session, job):
                ran.append((job.id, session.info["store_id"], job.store.slug, job.payload["variant"]))
            return {"test_erp.sync_stock": sync_stock}

    class AsyncPlugin:
        @hookimpl
        async def pyc_job_handlers(self):
            return {"test_async.noop": lambda session, job: None}

    pm = pluggy.PluginManager("pycommerce")
    pm.add_hookspecs(hookspecs)
    pm.register(ErpPlugin())
    pm.register(AsyncPlugin())
    source = register_job_handler_source(lambda: pm.hook.pyc_job_handlers())
    try:
        kinds = await load_job_handlers("tests.kernel.jobs.handlers")
        assert {"test_erp.sync_stock", "test_async.noop", "event.deliver", "test.record"} <= set(kinds)
        store = await factory.store()
        async with factory.session(store) as s:
            job_id = await enqueue(s, "test_erp.sync_stock", {"variant": 5})
            noop_id = await enqueue(s, "test_async.noop")
        await Worker(sessionmaker, WorkerOptions(backoff_base=0, relay_events=False)).run_until_idle()
        assert ran == [(job_id, store.id, store.slug, 5)]
        assert (await jobs.get(noop_id)).status == "done"
    finally:
        unregister_job_handler_source(source)
        _unregister("test_erp.sync_stock")
        _unregister("test_async.noop")


def test_a_kind_claimed_twice_is_refused_naming_both():
    @job_handler("test.claimed-twice")
    async def first(session, job):
        pass

    try:
        with pytest.raises(ValueError, match="claimed twice: by .*first and by .*second"):
            @job_handler("test.claimed-twice")
            async def second(session, job):
                pass
        assert get_handler("test.claimed-twice") is first
    finally:
        _unregister("test.claimed-twice")


def test_heartbeat_must_be_shorter_than_the_stale_timeout():
    with pytest.raises(ValueError, match="heartbeat"):
        WorkerOptions(heartbeat_interval=30, stale_after=30)


async def test_serve_runs_an_embedded_worker_and_stops_it_gracefully(settings, factory, jobs, effects_table):
    embedded = create_app(settings.model_copy(update={"run_worker_in_process": True, "job_poll_interval": 0.05,
                                                      "job_modules": "tests.kernel.jobs.handlers"}))
    async with LifespanManager(embedded):
        assert not embedded.state.worker.stopping
        async with factory.session(None) as s:
            job_id = await enqueue(s, "test.record")

        async def done():
            return (await jobs.get(job_id)).status == "done"
        await jobs.wait_for(done, what="the embedded worker to run the job")
    assert embedded.state.worker_task.done() and embedded.state.worker.stopping
