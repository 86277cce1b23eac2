"""Lazily loading views: a central URL map of views imported on first use."""

from __future__ import annotations

import sys

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.utils import ImportStringError

from lazyapp import create_app
from lazyapp.lazy import LazyView

# The package's own import name, so the tests follow it if it is renamed.
PACKAGE = create_app.__module__
VIEWS = f"{PACKAGE}.views"
USERS = f"{PACKAGE}.users"


def imported() -> set[str]:
    return {name for name in (VIEWS, USERS) if name in sys.modules}


# --- Views are imported on first use ---------------------------------------------


def test_building_the_app_imports_no_view_module(app: Flask) -> None:
    assert imported() == set()
    assert isinstance(app.view_functions["user"], LazyView)


def test_each_view_module_is_imported_by_the_first_request_that_needs_it(
    client: FlaskClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert imported() == {VIEWS}  # the home page needed no user view

    response = client.get("/users/ada")
    assert response.status_code == 200, response.text
    assert imported() == {VIEWS, USERS}


def test_an_error_page_imports_no_view_module(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404, response.text
    assert "The requested URL was not found" in response.text  # Flask's page
    assert imported() == set()


def test_the_home_page_shows_which_view_modules_are_imported(
    client: FlaskClient,
) -> None:
    def imported_column() -> dict[str, str]:
        soup = BeautifulSoup(client.get("/").text, "html.parser")
        cells = [[td.get_text() for td in tr.find_all("td")] for tr in soup("tr")]
        return {row[0]: row[2] for row in cells if row}

    assert imported_column() == {
        "/": "yes",
        "/people/<username>": "not yet",
        "/users/": "not yet",
        "/users/<username>": "not yet",
    }
    client.get("/users/")
    assert set(imported_column().values()) == {"yes"}


def test_lazy_view_takes_the_views_name_and_docstring_once_loaded(
    app: Flask, client: FlaskClient
) -> None:
    view = app.view_functions["user"]
    assert isinstance(view, LazyView)
    # Before: what the import string says (Flask named the endpoint from it).
    assert (view.__module__, view.__name__) == (USERS, "user")
    assert view.__qualname__ == "user"  # as on a function, for tools that name it
    assert not hasattr(view, "__wrapped__")  # not loaded yet
    assert view.__doc__ == f"{USERS}.user, imported at its first request."

    assert client.get("/users/").status_code == 200
    real = sys.modules[USERS].user
    assert view.__wrapped__ is real  # loaded
    assert view.__doc__ == real.__doc__
    assert view.__qualname__ == real.__qualname__ == "user"


# --- Two URLs, one view ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/users/", "Grace Hopper"),  # the list
        ("/users/ada", "Published the first program"),
        ("/people/alan", "Asked whether machines can think."),  # the old address
    ],
)
def test_urls_that_share_a_view_all_answer(
    client: FlaskClient, path: str, text: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert text in response.text


def test_the_shared_view_has_one_endpoint_for_all_its_urls(app: Flask) -> None:
    rules = sorted(rule.rule for rule in app.url_map.iter_rules(endpoint="user"))
    assert rules == ["/people/<username>", "/users/", "/users/<username>"]
    with app.test_request_context():
        assert url_for("user") == "/users/"
        # Links go to the new address; the old one is only answered.
        assert url_for("user", username="ada") == "/users/ada"


def test_the_users_page_links_each_user(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/users/").text, "html.parser")
    assert soup.main is not None
    links = [a["href"] for a in soup.main.find_all("a")]
    assert links == ["/users/ada", "/users/grace", "/users/alan"]


def test_another_lazy_view_of_the_same_function_joins_its_endpoint(
    app: Flask,
) -> None:
    app.add_url_rule("/u/<username>", view_func=LazyView(f"{USERS}.user"))
    response = app.test_client().get("/u/grace")
    assert response.status_code == 200, response.text
    assert "Grace Hopper" in response.text


def test_a_different_view_still_cannot_take_an_endpoint(app: Flask) -> None:
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule(
            "/other", endpoint="user", view_func=LazyView(f"{VIEWS}.index")
        )


# --- Mistakes in the URL map --------------------------------------------------------


def test_every_view_in_the_url_map_imports(app: Flask) -> None:
    """The check to run in CI: a typo in the map fails here, not in production."""
    for endpoint, view in app.view_functions.items():
        if isinstance(view, LazyView):
            assert callable(view.load()), endpoint


def test_a_view_that_does_not_import_fails_at_its_first_request(app: Flask) -> None:
    app.add_url_rule("/broken", view_func=LazyView(f"{PACKAGE}.nowhere.view"))
    client = app.test_client()
    assert client.get("/").status_code == 200  # the app starts and serves the rest
    with pytest.raises(ImportStringError, match="nowhere"):
        client.get("/broken")
    # Not remembered as loaded: the next request tries again, and fails again.
    with pytest.raises(ImportStringError):
        client.get("/broken")


def test_a_view_that_is_no_function_fails_at_its_first_request(app: Flask) -> None:
    app.add_url_rule("/not-a-view", view_func=LazyView(f"{PACKAGE}.users.USERS"))
    with pytest.raises(TypeError, match="is not a view function"):
        app.test_client().get("/not-a-view")


def test_in_production_a_broken_view_is_a_logged_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False
    app.add_url_rule("/broken", view_func=LazyView(f"{PACKAGE}.nowhere.view"))
    response = app.test_client().get("/broken")
    assert response.status_code == 500, response.text
    assert "Internal Server Error" in response.text  # Flask's page, no traceback
    assert "nowhere" not in response.text
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ImportStringError)


# --- Pages ---------------------------------------------------------------------------


def test_an_unknown_user_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/users/bob")
    assert response.status_code == 404, response.text
    assert "There is no user “bob”." in response.text
