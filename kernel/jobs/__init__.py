"""The durable job queue: background work that survives crashes, shared by any number of workers.

    from kernel.jobs import enqueue, job_handler

    @job_handler("invoice.render")
    async def render_invoice(session, job): ...

    await enqueue(session, "invoice.render", {"order_id": 42})  # commits with the caller's transaction

See docs/jobs.md for operations (workers, retries, parked jobs).
"""

from kernel.jobs.queue import JobContext, enqueue
from kernel.jobs.registry import job_handler, register_job_handler

__all__ = ["JobContext", "enqueue", "job_handler", "register_job_handler"]
