from tests.support.jobs import effects_table, jobs, make_worker  # noqa: F401 (fixtures)
