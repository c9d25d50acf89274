"""Drawing schemathesis cases for one operation, bounded (shared by the fuzzing tests)."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable


def draw(operation, mode, path_parameters, n):
    """Up to ``n`` cases of ``operation`` in generation ``mode``, with ``path_parameters`` fixed."""
    cases = []

    @settings(max_examples=n, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def collect(case):
        cases.append(case)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            collect()
        except Unsatisfiable:
            pass  # e.g. no invalid input exists once every parameter is fixed
    return cases[:n]
