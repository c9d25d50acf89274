"""The whole API under schemathesis, against a real server on 127.0.0.1 with a real API key of a
store holding every scope, in two bounded phases: every operation alone (valid and invalid cases,
real objects of the store in the path), then stateful sequences along the links schemathesis
infers from the schema (its dependency analysis: which response feeds which parameter).

Every response must be no server error, a documented status with the documented content type and
body schema, and no schema-valid request may be refused by validation: a positive case answered
422 "The request is not valid." (or 400) means the schema accepted what the server then refused.
422s of the documented business rules (a service's own ``InvalidInput``, a custom validator's
``value_error``) are not counted: the schema cannot say those.
"""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from kernel.accounts.apikeys import API_SCOPES, create_api_key
from kernel.app import create_app
from tests.support.domains import free_port
from tests.support.fuzzing import draw, fuzzable_schema
from tests.support.isolation import load_makers
from tests.support.makers_catalog import make_product

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 3  # per operation and generation mode
STATEFUL_SECONDS = 25
VALIDATION_FAILURE = "The request is not valid."


@pytest.fixture
def server(settings):
    """The app under uvicorn in a thread of its own (its own event loop, engine and pool)."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
async def store_key(factory):
    store = await factory.store(name="Fuzzed Store")
    for _ in range(2):
        await make_product(factory, store, variants=2, status="active")
    async with factory.session(store) as session:
        _, token = await create_api_key(session, name="fuzz", scopes=list(API_SCOPES), created_by_user_id=None)
    return store, token


def _refused_valid_input(case, response) -> str | None:
    """A positive case refused by validation, not by a business rule."""
    if not case.meta or not case.meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} without a problem body"
    if response.status_code == 400 or body.get("detail") == VALIDATION_FAILURE or any(
            e.get("type") == "string_nul" for e in body.get("errors") or ()):
        errors = [(e.get("loc"), e.get("type")) for e in body.get("errors") or ()]
        return f"schema-valid request refused: {errors or body.get('detail')}"
    return None


class Findings:
    """Every failed check, one line per (operation, status)."""

    def __init__(self):
        self.failures: dict[str, str] = {}
        self.seen: set[str] = set()
        self.sent = 0

    def check(self, case, response) -> None:
        self.seen.add(case.operation.label)
        self.sent += 1
        problems = []
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
            problems.append(" ".join(str(exc).split())[:400])
        refused = _refused_valid_input(case, response)
        if refused:
            problems.append(refused)
        for problem in problems:
            self.failures.setdefault(f"{case.operation.label} {response.status_code}",
                                     f"{problem} | {case.method} {case.formatted_path} {str(case.body)[:200]}")


async def _every_operation(schema, store, token, factory, findings: Findings) -> None:
    """Each operation alone: valid and invalid cases, on real objects of the store."""
    import httpx

    makers = load_makers()
    async with httpx.AsyncClient(base_url=schema.config.base_url, timeout=20) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            real = {"store_slug": store.slug}
            for param in _path_params(operation.path):
                if param in makers and param != "store_slug":
                    real[param] = await makers[param](factory, store)
            # Real objects of the store in the path; made-up ids are the stateful run's to try.
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for path_parameters in (real,):
                    for case in draw(operation, mode, path_parameters, EXAMPLES):
                        kwargs = case.as_transport_kwargs(base_url=schema.config.base_url)
                        kwargs.pop("cookies", None)
                        if isinstance(kwargs.get("data"), (bytes, str)):
                            kwargs["content"] = kwargs.pop("data")
                        kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
                        try:
                            response = await client.request(**kwargs)
                            response.request.read()
                        except (TypeError, AttributeError, httpx.InvalidURL, UnicodeEncodeError):
                            continue  # a negative case the HTTP client cannot even encode
                        findings.check(case, response)


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


def _stateful(schema, findings: Findings) -> None:
    """Sequences along the links schemathesis infers (a created object's id into the operations
    on it), for a bounded time."""
    started = time.monotonic()

    class Workflow(schema.as_state_machine()):
        def validate_response(self, response, case, **kwargs):
            findings.check(case, response)

        def step(self, input, *args, **kwargs):  # noqa: A002 - schemathesis's name
            if time.monotonic() - started > STATEFUL_SECONDS:
                return None  # the budget is spent: hypothesis winds the run down
            return super().step(input, *args, **kwargs)

    run_state_machine_as_test(Workflow, settings=settings(
        max_examples=40, stateful_step_count=10, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate]))


async def test_the_whole_api_survives_fuzzing_with_a_real_key(app, server, store_key, factory):
    import anyio

    store, token = store_key
    schema = fuzzable_schema(app.openapi())
    schema.config.update(base_url=server, headers={"Authorization": f"Bearer {token}"},
                         parameters={"store_slug": store.slug}, request_timeout=20)
    findings = Findings()
    started = time.monotonic()
    await _every_operation(schema, store, token, factory, findings)
    every_operation, alone = len(findings.seen), time.monotonic() - started
    await anyio.to_thread.run_sync(_stateful, schema, findings)
    print(f"sent {findings.sent} requests over {len(findings.seen)} operations in {alone:.0f} + "
          f"{time.monotonic() - started - alone:.0f} s")
    operations = [result.ok().label for result in schema.get_all_operations()]
    assert every_operation == len(operations)
    assert not findings.failures, "\n".join(f"{k}: {v}" for k, v in sorted(findings.failures.items())[:60])
