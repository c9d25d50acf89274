"""A webhook as a provider sends it, for a test to deliver as it is, tampered, or unsigned."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx


@dataclass(frozen=True)
class SignedDelivery:
    body: bytes  # the raw bytes the signature covers; deliver these, never re-serialised JSON
    headers: dict[str, str]
    signature_headers: tuple[str, ...]
    # How someone in transit would change the event to their advantage (the amount).
    tamper: Callable[[dict], None] = field(repr=False, compare=False)

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    def tampered(self) -> SignedDelivery:
        """The same headers over a body someone changed."""
        event = self.event
        self.tamper(event)
        return replace(self, body=json.dumps(event, indent=2).encode())

    def without_signature(self) -> SignedDelivery:
        return replace(self, headers={k: v for k, v in self.headers.items() if k not in self.signature_headers})

    def post(self, url: str, *, client: httpx.Client | None = None, timeout: float = 10) -> httpx.Response:
        if client is None:
            return httpx.post(url, content=self.body, headers=self.headers, timeout=timeout)
        return client.post(url, content=self.body, headers=self.headers, timeout=timeout)


class BackgroundDeliveries:
    """POSTs deliveries from a thread, as the provider's own sender would, and keeps each outcome."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[str, int | str]] = []  # (event id, HTTP status or the error's name)
        self._client: httpx.Client | None = None  # made on first use; one TLS set-up, not one per event
        self._client_lock = threading.Lock()

    def send(self, event_id: str, delivery: SignedDelivery, url: str) -> None:
        """One thread per event, so deliveries may arrive in any order, as the providers warn."""
        threading.Thread(target=self._post, args=(event_id, delivery, url), daemon=True).start()

    def _post(self, event_id: str, delivery: SignedDelivery, url: str) -> None:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client()
        try:
            outcome: int | str = delivery.post(url, client=self._client).status_code
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.outcomes.append((event_id, outcome))
