"""Upload a file, list the uploads, download one without letting it run script."""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from flask import url_for
from flask.typing import ResponseReturnValue
from jinja2.filters import do_filesizeformat
from werkzeug.exceptions import RequestEntityTooLarge

from . import errors
from . import storage

bp = Blueprint("files", __name__)
SUFFIXES = [f".{extension}" for extension in sorted(storage.ALLOWED_EXTENSIONS)]


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    """The form and the list; a POST checks the upload and stores it."""
    if request.method == "GET":
        return render_index()
    # A form without enctype="multipart/form-data" sends the name, no file.
    if "file" not in request.files:
        return render_index("The form sent no file. Choose one and upload again.")
    file = request.files["file"]
    # With no file chosen, browsers send the part anyway, with no filename.
    if not file.filename:
        return render_index("Choose a file to upload.")
    name = storage.safe_name(file.filename)
    if name is None:
        allowed = ", ".join(SUFFIXES)
        return render_index(f"Only these kinds of file can be uploaded: {allowed}.")
    try:
        upload = storage.save(file, name)
    except storage.StoreFull as full:
        return render_index(str(full), 409)
    flash(f"Uploaded “{upload.name}”.")
    # 303: the browser follows with a GET, so a reload never uploads twice.
    return redirect(url_for("files.index"), 303)


@bp.get("/files/<stored>")
def download(stored: str) -> ResponseReturnValue:
    """Send an upload back as a download, never as a page of this site."""
    upload = storage.find(stored)
    if upload is None:
        abort(404, "There is no upload by that name.")
    response = send_from_directory(
        storage.upload_folder(),
        upload.stored,
        # "attachment": the browser saves the file instead of showing it, so
        # an uploaded page or SVG never runs as part of this site.
        as_attachment=True,
        download_name=upload.name,
    )
    # No guessing a type other than the one sent, and should a browser show
    # the file anyway: no script, no plugins, a unique origin.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Say which limit a 413 means, in the app's own error page."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None or request.content_length > limit:
        size = do_filesizeformat(limit, binary=True)
        message = f"That file is too big: uploads can be up to {size}."
    else:  # MAX_FORM_PARTS or MAX_FORM_MEMORY_SIZE
        message = "That form sent more, or longer, fields than the upload form has."
    return errors.handle_http_error(RequestEntityTooLarge(message))


def render_index(error: str | None = None, status: int = 400) -> ResponseReturnValue:
    """The upload form and a page of the list (?page=2), with the form's error
    and its status if there is one."""
    raw = request.args.get("page", "1")
    # Digits only, and few: "two", "1.5" or 5,000 digits name no page either.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    page = storage.page_of_uploads(number, current_app.config["UPLOADS_PER_PAGE"])
    if page is None:
        abort(404, "There is no such page of uploads.")
    html = render_template(
        "index.html",
        page=page,
        suffixes=SUFFIXES,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        error=error,
    )
    return (html, status) if error else html
