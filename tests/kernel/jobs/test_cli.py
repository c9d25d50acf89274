"""``pycommerce jobs``: operators see parked jobs and put them back in the queue."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from kernel.jobs import enqueue

PYCOMMERCE = Path(sys.executable).with_name("pycommerce")
ROOT = Path(__file__).resolve().parents[3]


async def _cli(database, tmp_path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": database.url,
           "PYCOMMERCE_PLATFORM_DATABASE_URL": database.platform_url, "PYCOMMERCE_VAR_DIR": str(tmp_path),
           "PYCOMMERCE_SECRET_KEY": "test-secret-key-not-for-production", "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(str(PYCOMMERCE), *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_list_and_retry_parked_jobs(database, tmp_path, factory, jobs, make_worker, effects_table):
    store = await factory.store()
    async with factory.session(store) as s:
        job_id = await enqueue(s, "test.fail", {"message": "smtp refused"}, max_attempts=1)
    await make_worker().run_until_idle()
    code, out = await _cli(database, tmp_path, "jobs", "list", "--status", "failed", "--limit", "1000")
    assert code == 0, out
    line = next(line for line in out.splitlines() if line.startswith(f"{job_id}\t"))
    assert f"store={store.id}" in line and "attempts=1/1" in line and "RuntimeError: smtp refused" in line
    code, out = await _cli(database, tmp_path, "jobs", "retry", str(job_id))
    assert code == 0 and "queued again" in out
    job = await jobs.get(job_id)
    assert (job.status, job.attempts) == ("queued", 0)
    code, out = await _cli(database, tmp_path, "jobs", "retry", str(job_id))
    assert code == 1 and "not a failed job" in out
