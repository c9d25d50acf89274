"""Platform administration of the job queue: see jobs (parked ones above all) and retry them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query

from kernel.deps import PlatformAdmin, PlatformSessionDep
from kernel.errors import ERROR_RESPONSES, Conflict, NotFound
from kernel.jobs import queue
from kernel.jobs.models import Job
from kernel.jobs.schemas import JobCounts, JobRead
from kernel.routing import KernelRouter

platform_router = KernelRouter(prefix="/api/v1/platform/jobs", tags=["platform: jobs"], responses=ERROR_RESPONSES)

JobId = Annotated[int, Path(description="The job's id.", examples=[42], ge=1, le=2**62)]


@platform_router.get("", summary="List jobs")
async def list_jobs(admin: PlatformAdmin, session: PlatformSessionDep,
                    status: Annotated[Literal["queued", "running", "done", "failed"] | None,
                                      Query(description="Only jobs in this state.", examples=["failed"])] = None,
                    kind: Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                                      examples=["event.deliver"])] = None,
                    store_id: Annotated[int | None, Query(ge=1, le=2**62, description="Only this store's jobs.",
                                                             examples=[1])] = None,
                    after: Annotated[int | None, Query(ge=0, le=2**62,
                                                       description="Cursor: the last id of the previous page.",
                                                       examples=[120])] = None,
                    limit: Annotated[int, Query(ge=1, le=200, description="Page size.", examples=[50])] = 50,
                    ) -> list[JobRead]:
    """Jobs in id order (keyset pagination). `status=failed` lists the parked jobs with their last error."""
    jobs = await queue.list_jobs(session, status=status, kind=kind, store_id=store_id, after=after, limit=limit)
    return [JobRead.model_validate(job) for job in jobs]


@platform_router.get("/stats", summary="Count jobs by state")
async def job_counts(admin: PlatformAdmin, session: PlatformSessionDep) -> JobCounts:
    """For monitoring: a growing `queued` means too few workers; any `failed` needs an operator."""
    return JobCounts(**await queue.counts_by_status(session))


@platform_router.get("/{job_id}", summary="Get a job")
async def get_job(job_id: JobId, admin: PlatformAdmin, session: PlatformSessionDep) -> JobRead:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job.")
    return JobRead.model_validate(job)


@platform_router.post("/{job_id}/retry", summary="Retry a parked job")
async def retry_job(job_id: JobId, admin: PlatformAdmin, session: PlatformSessionDep) -> JobRead:
    """Put a `failed` job back in the queue with a fresh set of attempts; 409 for a job in any other state."""
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job.")
    if not await queue.retry(session, job_id):
        raise Conflict(f"Only failed jobs can be retried; this one is {job.status}.")
    await session.refresh(job)
    return JobRead.model_validate(job)
