"""Domain events, written to an outbox in the same transaction as the change that caused them."""

from kernel.events.dispatch import register_event_consumer
from kernel.events.service import emit_event

__all__ = ["emit_event", "register_event_consumer"]
