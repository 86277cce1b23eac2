"""The ledger's pages and its JSON API, both built on the classes in custom.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .expenses import add_expense
from .expenses import all_expenses
from .expenses import Category
from .expenses import EXPENSES_MAX
from .expenses import NOTE_MAX
from .expenses import read_expense

bp = Blueprint("ledger", __name__)
LEDGER_FULL = f"The ledger is full: {EXPENSES_MAX} expenses at most."


def ledger() -> dict[str, Any]:
    expenses = all_expenses()
    total = sum((e["amount"] for e in expenses), Decimal("0.00"))
    return {"expenses": expenses, "total": total}


def render_index(
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> str:
    return render_template(
        "index.html",
        **ledger(),
        form=form or {},
        errors=errors or {},
        categories=list(Category),
        note_max=NOTE_MAX,
    )


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_index()


@bp.post("/expenses")
def add() -> ResponseReturnValue:
    expense, errors = read_expense(request.form)
    if errors:
        return render_index(request.form.to_dict(), errors), 400
    if add_expense(expense) is None:
        abort(400, LEDGER_FULL)
    flash(f"Added {expense['amount']} for {expense['category'].value}.")
    return redirect(url_for("ledger.index"), 303)


@bp.get("/api/expenses")
def api_list() -> ResponseReturnValue:
    # Decimal, date, datetime and Category values: the JSON provider writes them.
    return ledger()


@bp.post("/api/expenses")
def api_add() -> ResponseReturnValue:
    try:
        data = request.get_json(silent=True)  # floats arrive as Decimal
    except RecursionError:  # [[[[...: nested too deep for Python's parser
        data = None
    if not isinstance(data, dict):
        abort(400, "Send a JSON object: amount, category, spent_on and note.")
    expense, errors = read_expense(data)
    if errors:
        abort(400, " ".join(errors.values()))
    stored = add_expense(expense)
    if stored is None:
        abort(400, LEDGER_FULL)
    return stored, 201
