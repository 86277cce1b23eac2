"""JSON bodies with numbers that JSON.parse could not give back are a 400."""

from __future__ import annotations

import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


def finite_float(text: str) -> float:
    number = float(text)  # NaN and Infinity too: float() reads them
    if not math.isfinite(number):  # 1e1000000 overflows to inf
        raise ValueError(f"{text} is not a finite number")
    return number


class FiniteJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing NaN, Infinity and numbers beyond a float.

    Python's json module reads them, and would echo them back as JSON that
    browsers reject. A ValueError here makes `request.get_json()` a 400.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", finite_float)
        kwargs.setdefault("parse_constant", finite_float)
        return super().loads(s, **kwargs)
