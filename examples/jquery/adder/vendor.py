"""jQuery served by the app itself, from the XStatic-jQuery package: no CDN.

The version is part of the URL, so browsers may keep the file for a year: a
new version of the package is a new URL.
"""

from __future__ import annotations

import xstatic.pkg.jquery as xstatic_jquery
from flask import abort
from flask import Blueprint
from flask import send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

JQUERY_VERSION: str = xstatic_jquery.VERSION
ONE_YEAR = 365 * 24 * 60 * 60


@bp.get("/jquery/<version>/<path:filename>")
def jquery(version: str, filename: str) -> ResponseReturnValue:
    """A file of the installed jQuery (jquery.min.js and its source map)."""
    if version != JQUERY_VERSION:
        abort(404)
    # send_from_directory refuses paths that leave the directory (a 404).
    return send_from_directory(xstatic_jquery.BASE_DIR, filename, max_age=ONE_YEAR)
