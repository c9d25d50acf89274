"""What both provider imitations hold beside HTTP: accounts with their objects, the lock that makes each
request one change, idempotent replays, and the counters tests read."""

from __future__ import annotations

import copy
import threading
from typing import Generic, TypeVar

from tests.support.payments.idempotency import IdempotencyStore
from tests.support.payments.server import ImitationServer

Account = TypeVar("Account")


class ProviderImitation(ImitationServer, Generic[Account]):
    """Each account has ``objects`` (by id) and ``effects`` (a Counter of (action, object id))."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts: list[Account] = []
        self._lock = threading.RLock()  # one request changes state at a time, as each is one provider call
        self._idempotency = IdempotencyStore()

    def _register(self, account: Account) -> Account:
        with self._lock:
            self.accounts.append(account)
        return account

    def _owner(self, object_id: str) -> tuple[Account, dict]:
        for account in self.accounts:
            if object_id in account.objects:
                return account, account.objects[object_id]
        raise KeyError(object_id)

    @staticmethod
    def _public(obj: dict) -> dict:
        """An object as the API shows it: the imitation's own bookkeeping (``_``-prefixed keys) left out."""
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def object(self, object_id: str) -> dict:
        """The current state of any object, whichever account owns it."""
        with self._lock:
            return self._public(self._owner(object_id)[1])

    def count(self, action: str, object_id: str) -> int:
        """How many times ``action`` happened to ``object_id`` at the provider; replays do not count."""
        return sum(account.effects[(action, object_id)] for account in self.accounts)
