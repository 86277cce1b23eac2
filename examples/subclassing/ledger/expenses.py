"""Expenses: checking one, storing it, and reading them back as Python values.

The values are Decimal, date, datetime and an Enum: the JSON provider in
custom.py is what turns them into JSON, and a JSON body into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import UTC
from decimal import Decimal
from decimal import InvalidOperation
from enum import Enum
from typing import Any

from .db import get_db

AMOUNT_MAX = Decimal("1000000")
NOTE_MAX = 200
EXPENSES_MAX = 500  # a demo ledger: the list page stays one page


class Category(Enum):
    FOOD = "food"
    TRAVEL = "travel"
    OFFICE = "office"
    OTHER = "other"


def read_amount(raw: object) -> Decimal | None:
    """A positive amount with at most two decimals, or None.

    Decimal and int come from JSON (floats are Decimals, see custom.py),
    str from a form. A float or a bool is refused: it is not an exact amount.
    """
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | str):
        return None
    try:
        amount = Decimal(raw)  # also strips the spaces around a typed amount
    except InvalidOperation:
        return None
    if not (amount.is_finite() and 0 < amount <= AMOUNT_MAX):
        return None
    if amount != amount.quantize(Decimal("0.01")):
        return None  # 19.999: cents are the smallest unit
    return amount.quantize(Decimal("0.01"))


def read_expense(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The expense in `data` (a form or a JSON object), and what is wrong with it."""
    errors: dict[str, str] = {}
    amount = read_amount(data.get("amount"))
    if amount is None:
        errors["amount"] = f"The amount must be a number from 0.01 to {AMOUNT_MAX:,}."
    try:
        category = Category(data.get("category"))
    except ValueError:
        names = ", ".join(c.value for c in Category)
        errors["category"] = f"The category must be one of {names}."
    spent_on = data.get("spent_on")
    try:
        if not isinstance(spent_on, str) or len(spent_on) != 10:
            raise ValueError
        day = date.fromisoformat(spent_on)
    except ValueError:
        errors["spent_on"] = "The date must be written YYYY-MM-DD."
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > NOTE_MAX or not note.isprintable():
        errors["note"] = f"The note must be one line of up to {NOTE_MAX} characters."
    if errors:
        return {}, errors
    return {"amount": amount, "category": category, "spent_on": day, "note": note}, {}


def add_expense(expense: Mapping[str, Any]) -> dict[str, Any] | None:
    """Store the expense and return it as read back; None when the ledger is full."""
    created_at = datetime.now(UTC).replace(microsecond=0)
    with get_db() as db:
        # One statement counts and inserts, so two requests cannot overfill.
        cursor = db.execute(
            "INSERT INTO expense (amount, category, spent_on, note, created_at)"
            " SELECT ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM expense) < ?",
            (
                str(expense["amount"]),
                expense["category"].value,
                expense["spent_on"].isoformat(),
                expense["note"],
                created_at.isoformat(),
                EXPENSES_MAX,
            ),
        )
    if cursor.rowcount == 0:
        return None
    return {**expense, "id": cursor.lastrowid, "created_at": created_at}


def all_expenses() -> list[dict[str, Any]]:
    """Every expense, newest first, as Decimal, Category, date and datetime."""
    rows = get_db().execute(
        "SELECT id, amount, category, spent_on, note, created_at FROM expense"
        " ORDER BY spent_on DESC, id DESC"
    )
    return [
        {
            "id": row["id"],
            "amount": Decimal(row["amount"]),
            "category": Category(row["category"]),
            "spent_on": date.fromisoformat(row["spent_on"]),
            "note": row["note"],
            "created_at": datetime.fromisoformat(row["created_at"]),
        }
        for row in rows
    ]
