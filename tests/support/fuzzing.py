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


def fuzzable_schema(document: dict):
    """A schemathesis schema of the API ``document`` drawing NUL-free strings the fast way.

    The document says "no NUL" with a pattern on every free-form string
    (:func:`kernel.input_guard.document_nul_refusal`); hypothesis draws from such a pattern about
    six times slower than from a plain string. Schemathesis's own ``allow_x00=False`` draws the
    same strings, so the patterns are taken out of the copy it reads.
    """
    import copy

    import schemathesis

    from kernel.input_guard import NUL_FREE

    def strip(node):
        if isinstance(node, dict):
            if str(node.get("pattern", "")).startswith("^" + NUL_FREE):
                del node["pattern"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    document = copy.deepcopy(document)
    strip(document)
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(allow_x00=False)
    return schema
