"""Each consumer gets each event in a delivery of its own: one that fails is retried (and parked) alone,
and the other consumers of the same event run once. The consumers are the plugins enabled when the
event is delivered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kernel.events.delivery import DELIVER_KIND
from kernel.events.models import OutboxEvent
from kernel.jobs.models import Job
from kernel.plugins import disable_plugin, enable_plugin
from tests.support.plugins import registered


@pytest.fixture
def plugins():
    """The fixture pair consuming the same events: ``event_ledger`` (never fails), ``event_flaky``."""
    with registered("event_ledger") as ledger, registered("event_flaky") as flaky:
        yield ledger, flaky


async def _enable(factory, store, *plugin_ids):
    async with factory.session(store) as session:
        for plugin_id in plugin_ids:
            await enable_plugin(session, plugin_id)


async def _register_customer(client, factory, store) -> str:
    """A real action: a shopper signs up, which emits ``customer.created``; returns its event id."""
    r = await client.post(f"/api/v1/stores/{store.slug}/customers/register",
                          json={"email": "ada@example.com", "password": "correct-horse-battery", "full_name": "Ada"})
    assert r.status_code == 201, r.text
    async with factory.session(store) as session:
        return (await session.execute(select(OutboxEvent.event_id).where(OutboxEvent.name == "customer.created"))
                ).scalar_one()


async def _deliveries(factory, event_id: str) -> dict[str, Job]:
    async with factory.session(None) as s:
        jobs = (await s.execute(select(Job).where(Job.kind == DELIVER_KIND,
                                                  Job.dedupe_key.like(f"event:{event_id}:%")))).scalars().all()
    return {job.payload["consumer"]: job for job in jobs}


async def test_a_failing_handler_is_retried_alone_and_the_other_runs_once(app, client, factory, jobs, make_worker,
                                                                         plugins):
    ledger, flaky = plugins
    store = await factory.store()
    await _enable(factory, store, "event_ledger", "event_flaky")
    flaky.failures_left[store.slug] = 2
    event_id = await _register_customer(client, factory, store)

    worker = make_worker(backoff_base=60.0, backoff_max=600.0, event_max_attempts=5)
    await worker.run_until_idle()
    deliveries = await _deliveries(factory, event_id)
    assert set(deliveries) == {"plugin:event_ledger", "plugin:event_flaky"}
    assert (deliveries["plugin:event_ledger"].status, deliveries["plugin:event_ledger"].attempts) == ("done", 1)
    failing = deliveries["plugin:event_flaky"]
    assert (failing.status, failing.attempts) == ("queued", 1)
    assert failing.last_error == "ConnectionError: the flaky plugin's endpoint is down"

    for _ in range(2):  # its backoff over, the flaky plugin's delivery runs again: it fails once more, then works
        await jobs.make_due(failing.id)
        await worker.run_until_idle()
    assert (await jobs.get(failing.id)).status == "done"
    assert [e for s, e in flaky.attempts if s == store.slug] == [event_id] * 3
    assert [e for s, e in ledger.deliveries if s == store.slug] == [event_id]  # never run again


async def test_a_handler_out_of_attempts_is_parked_alone(app, client, factory, jobs, make_worker, plugins):
    ledger, flaky = plugins
    store = await factory.store()
    await _enable(factory, store, "event_ledger", "event_flaky")
    flaky.failures_left[store.slug] = 99
    event_id = await _register_customer(client, factory, store)

    await make_worker(event_max_attempts=2).run_until_idle()  # no backoff in tests' workers: both attempts run
    deliveries = await _deliveries(factory, event_id)
    parked = deliveries["plugin:event_flaky"]
    assert (parked.status, parked.attempts, parked.max_attempts) == ("failed", 2, 2)
    assert deliveries["plugin:event_ledger"].status == "done"
    async with factory.session(None) as s:
        fan_out = (await s.execute(select(Job).where(Job.dedupe_key == f"event:{event_id}"))).scalar_one()
    assert fan_out.status == "done"
    assert [e for s, e in ledger.deliveries if s == store.slug] == [event_id]

    flaky.failures_left[store.slug] = 0  # the operator fixed the plugin's endpoint and retries the parked delivery
    admin = await factory.admin()
    assert (await client.post(f"/api/v1/platform/jobs/{parked.id}/retry", headers=admin.headers)).status_code == 200
    await make_worker().run_until_idle()
    assert (await jobs.get(parked.id)).status == "done"
    assert [e for s, e in flaky.attempts if s == store.slug] == [event_id] * 3
    assert [e for s, e in ledger.deliveries if s == store.slug] == [event_id]


async def test_the_consumers_are_the_plugins_enabled_at_delivery_time(app, client, factory, make_worker, plugins):
    ledger, flaky = plugins
    store, other = await factory.store(), await factory.store()
    await _enable(factory, store, "event_ledger")
    await _enable(factory, other, "event_ledger", "event_flaky")
    event_id = await _register_customer(client, factory, store)
    # Between the sign-up and its delivery, the store swaps one plugin for the other.
    await _enable(factory, store, "event_flaky")
    async with factory.session(store) as session:
        await disable_plugin(session, "event_ledger")

    await make_worker().run_until_idle()
    assert set(await _deliveries(factory, event_id)) == {"plugin:event_flaky"}
    assert [e for s, e in flaky.attempts if s == store.slug] == [event_id]
    assert [e for s, e in ledger.deliveries if s == store.slug] == []
    # The other store's plugins never see this store's event.
    assert [e for s, e in flaky.attempts + ledger.deliveries if s == other.slug] == []
