"""LazyView: a view function named by a string, imported on its first call."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from flask.typing import ResponseReturnValue
from werkzeug.utils import import_string

ViewFunction = Callable[..., ResponseReturnValue]


class LazyView:
    """Stands in for the view until a request needs it, then imports it.

    Two threads that both make the first call both import: Python's import
    lock gives them the same module, so no lock of our own is needed here.
    """

    __name__: str
    __qualname__: str
    __wrapped__: ViewFunction  # set by update_wrapper() once loaded

    def __init__(self, import_name: str) -> None:
        self.import_name = import_name
        # Flask names the endpoint after the view's __name__ when the URL map
        # gives none, at registration, long before the import.
        self.__module__, self.__name__ = import_name.rsplit(".", 1)
        self.__qualname__ = self.__name__
        self.__doc__ = f"{import_name}, imported at its first request."
        self._view: ViewFunction | None = None

    def load(self) -> ViewFunction:
        """The real view, imported now if need be.

        A name that does not import raises werkzeug's ImportStringError here,
        at the first request that needs it (a logged 500), and nothing is
        remembered: the next request tries again.
        """
        if self._view is None:
            view = import_string(self.import_name)
            if not callable(view):
                raise TypeError(f"{self.import_name} is not a view function.")
            update_wrapper(self, view)  # its __name__, __doc__, __wrapped__ ...
            self._view = view
        return self._view

    def __call__(self, **view_args: Any) -> ResponseReturnValue:
        return self.load()(**view_args)

    # Flask refuses a second, different function for an endpoint that has one
    # ("View function mapping is overwriting an existing endpoint function").
    # Two LazyViews of the same import name are the same view, so they compare
    # equal and may both be registered under one endpoint.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LazyView):
            return NotImplemented
        return self.import_name == other.import_name

    def __hash__(self) -> int:
        return hash(self.import_name)
