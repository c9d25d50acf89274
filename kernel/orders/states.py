"""The order state machine, explicit: a transition not listed here is refused with a 409.

    pending_payment -> paid -> partially_fulfilled -> fulfilled -> completed
    pending_payment | paid -> cancelled            (restocks everything not shipped)
    paid | partially_fulfilled | fulfilled | completed | partially_refunded -> partially_refunded | refunded
"""

from __future__ import annotations

from kernel.errors import Conflict
from kernel.orders.models import OrderStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.pending_payment: frozenset({S.paid, S.cancelled}),
    S.paid: frozenset({S.partially_fulfilled, S.fulfilled, S.cancelled, S.partially_refunded, S.refunded}),
    S.partially_fulfilled: frozenset({S.partially_fulfilled, S.fulfilled, S.partially_refunded, S.refunded}),
    S.fulfilled: frozenset({S.completed, S.partially_refunded, S.refunded}),
    S.completed: frozenset({S.partially_refunded, S.refunded}),
    S.partially_refunded: frozenset({S.partially_refunded, S.refunded, S.completed}),
    S.refunded: frozenset(),
    S.cancelled: frozenset(),
}


class IllegalTransition(Conflict):
    code = "illegal-transition"


def allowed(current: S) -> frozenset[S]:
    return TRANSITIONS[current]


def check_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        choices = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final state)"
        raise IllegalTransition(
            f"An order in status '{current.value}' cannot become '{target.value}'. Allowed: {choices}.")
