"""Idempotent requests as both providers honour them: the first answer to a key is stored and
replayed for the same request; the same key on a different request is refused with the provider's
own error. Keys are scoped to the account that sent them, as at the providers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.payments.server import Response


@dataclass
class _Stored:
    fingerprint: str
    replay: Callable[[], Response]


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class IdempotencyStore:
    """Callers hold the imitation's state lock, so two requests with one key never run at once."""

    def __init__(self) -> None:
        self._stored: dict[tuple[str, str], _Stored] = {}

    def run(self, scope: str, key: str | None, request_fingerprint: str, handle: Callable[[], Response], *,
            replay: Callable[[Response], Callable[[], Response]], mismatch: Callable[[], Response]) -> Response:
        """Answer with ``handle()`` the first time; later, ``replay(first answer)()`` for the same
        fingerprint or ``mismatch()`` for another. Server errors are not stored, so a retry after a 5xx
        runs again, as the providers document; so do answers refused before anything happened."""
        if key is None:
            return handle()
        stored = self._stored.get((scope, key))
        if stored is not None:
            return stored.replay() if stored.fingerprint == request_fingerprint else mismatch()
        response = handle()
        if response.status < 500 and response.replayable:
            self._stored[(scope, key)] = _Stored(request_fingerprint, replay(response))
        return response
