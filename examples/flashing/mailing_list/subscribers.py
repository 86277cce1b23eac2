"""The demo's data: a set of addresses in memory, bounded and thread-safe.

A real app keeps its subscribers in a database; this keeps the example about
the messages.
"""

from __future__ import annotations

import threading
from typing import Literal


class MailingList:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._emails: set[str] = set()
        self._lock = threading.Lock()  # a threaded server runs views at once

    def add(self, email: str) -> Literal["added", "already there", "full"]:
        with self._lock:
            if email in self._emails:
                return "already there"
            if len(self._emails) >= self.capacity:
                return "full"
            self._emails.add(email)
            return "added"

    def remove(self, email: str) -> bool:
        """Take the address off the list; False when it was not on it."""
        with self._lock:
            if email not in self._emails:
                return False
            self._emails.remove(email)
            return True

    def __len__(self) -> int:
        return len(self._emails)
