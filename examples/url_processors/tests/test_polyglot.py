"""Using URL Processors: the language code in every URL, handled once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask import g
from flask import request
from flask import url_for
from flask.testing import FlaskClient

from polyglot import create_app
from polyglot import phrases

NO_SUCH_LANGUAGE = "This site has no pages in"


def page(client: FlaskClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, response.text
    return BeautifulSoup(response.text, "html.parser")


def switcher(soup: BeautifulSoup) -> dict[str, str]:
    """The language switcher's links: {language code: URL}."""
    links = soup.select("header a[hreflang]")
    return {str(a["hreflang"]): str(a["href"]) for a in links}


def other_links(soup: BeautifulSoup) -> list[str]:
    """Every link on the page except the language switcher's."""
    return [
        str(a["href"])
        for a in soup.find_all("a")
        if isinstance(a, Tag) and not a.has_attr("hreflang")
    ]


def after_the_url_processors(app: Flask, path: str, look: Callable[[], Any]) -> Any:
    """What `look()` returns inside a request to `path` once the URL
    processors have run: a before_request hook (Flask runs those after the
    url_value_preprocessors) calls it and answers in place of the view."""
    seen: list[Any] = []

    @app.before_request
    def probe() -> str:
        seen.append(look())
        return "probed"

    response = app.test_client().get(path)
    assert response.text == "probed", response.text
    return seen[0]


# --- / picks a language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "target"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "/de/"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "/fr/"),
        ("en;q=0.1, de;q=0.8", "/de/"),
        ("es, fr;q=0.5", "/fr/"),  # the best one the site has
        ("EN-gb", "/en/"),
    ],
)
def test_root_redirects_to_the_best_accepted_language(
    client: FlaskClient, accept_language: str, target: str
) -> None:
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 302, response.text
    assert response.location == target
    # The redirect depends on the header, so shared caches must key on it.
    assert response.headers["Vary"] == "Accept-Language"


@pytest.mark.parametrize("accept_language", [None, "es, it", "*;q=0"])
def test_root_lets_the_visitor_choose_when_no_language_matches(
    client: FlaskClient, accept_language: str | None
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Vary"] == "Accept-Language"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.main is not None
    choices = {
        str(a["hreflang"]): (str(a["href"]), a.get_text())
        for a in soup.main.select("a[hreflang]")
    }
    assert choices == {
        "en": ("/en/", "English"),
        "de": ("/de/", "Deutsch"),
        "fr": ("/fr/", "Français"),
    }


# --- Pages in each language -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "lang", "text"),
    [
        ("/en/", "en", "Welcome"),
        ("/de/", "de", "Willkommen"),
        ("/fr/", "fr", "Bienvenue"),
        ("/de/about", "de", "Kein Link auf dieser Seite nennt eine Sprache"),
        ("/fr/phrases/", "fr", "Guide de conversation"),
        ("/en/phrases/food", "en", "The bill, please"),
        ("/de/phrases/greetings", "de", "Auf Wiedersehen"),
        ("/fr/phrases/food", "fr", "L'addition, s'il vous plaît"),
    ],
)
def test_each_page_is_in_the_language_of_its_url(
    client: FlaskClient, path: str, lang: str, text: str
) -> None:
    soup = page(client, path)
    assert soup.html is not None
    assert soup.html["lang"] == lang
    assert text in soup.get_text()


@pytest.mark.parametrize(
    ("lang", "topics"),
    [
        ("en", [("Greetings", "/en/phrases/greetings"), ("Food", "/en/phrases/food")]),
        (
            "fr",
            [
                ("Salutations", "/fr/phrases/greetings"),
                ("Nourriture", "/fr/phrases/food"),
            ],
        ),
    ],
)
def test_the_phrasebook_lists_its_topics_in_the_pages_language(
    client: FlaskClient, lang: str, topics: list[tuple[str, str]]
) -> None:
    soup = page(client, f"/{lang}/phrases/")
    assert soup.main is not None
    assert [(a.get_text(), str(a["href"])) for a in soup.main.select("li a")] == topics


@pytest.mark.parametrize(
    "path", ["/de/", "/de/about", "/de/phrases/", "/de/phrases/greetings"]
)
def test_every_link_keeps_the_current_language(client: FlaskClient, path: str) -> None:
    links = other_links(page(client, path))
    assert links
    assert all(url.startswith("/de/") for url in links), links


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", {"de": "/de/", "fr": "/fr/"}),  # the chooser: no ?lang_code=
        ("/en/", {"de": "/de/", "fr": "/fr/"}),
        ("/de/about", {"en": "/en/about", "fr": "/fr/about"}),
        ("/fr/phrases/", {"en": "/en/phrases/", "de": "/de/phrases/"}),
        ("/fr/phrases/food", {"en": "/en/phrases/food", "de": "/de/phrases/food"}),
    ],
)
def test_switcher_links_to_the_same_page_in_the_other_languages(
    client: FlaskClient, path: str, expected: dict[str, str]
) -> None:
    links = switcher(page(client, path))
    assert links == expected
    for url in links.values():
        assert client.get(url).status_code == 200, url


# --- The URL processors themselves ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "view_args"),
    [
        ("/fr/about", {}),  # the app-level preprocessor took lang_code out
        ("/de/phrases/food", {"topic": "food"}),  # so did the blueprint's
    ],
)
def test_the_language_moves_from_the_url_to_g(
    app: Flask, path: str, view_args: dict[str, str]
) -> None:
    seen = after_the_url_processors(
        app, path, lambda: {"lang_code": g.lang_code, "view_args": request.view_args}
    )
    assert seen == {"lang_code": path[1:3], "view_args": view_args}


def test_url_for_fills_in_the_current_language(app: Flask) -> None:
    seen = after_the_url_processors(
        app,
        "/de/phrases/",
        lambda: {
            "home": url_for("home"),
            "about": url_for("about"),
            "topic": url_for("phrases.topic", topic="food"),
            # A language given by hand wins (that is how the switcher works).
            "about in fr": url_for("about", lang_code="fr"),
            "phrases in en": url_for("phrases.index", lang_code="en"),
        },
    )
    assert seen == {
        "home": "/de/",
        "about": "/de/about",
        "topic": "/de/phrases/food",
        "about in fr": "/fr/about",
        "phrases in en": "/en/phrases/",
    }


def test_url_defaults_leave_endpoints_without_a_language_alone(app: Flask) -> None:
    # Without is_endpoint_expecting(), these would get "?lang_code=de".
    seen = after_the_url_processors(
        app,
        "/de/about",
        lambda: [url_for("choose_language"), url_for("static", filename="style.css")],
    )
    assert seen == ["/", "/static/style.css"]


def test_the_blueprint_form_needs_no_app_level_processors() -> None:
    bare = Flask(__name__)
    bare.register_blueprint(phrases.bp)
    seen = after_the_url_processors(
        bare,
        "/fr/phrases/",
        lambda: [g.lang_code, url_for("phrases.topic", topic="food")],
    )
    assert seen == ["fr", "/fr/phrases/food"]
    # The blueprint's own preprocessor refuses a language it lacks.
    response = bare.test_client().get("/xx/phrases/")
    assert response.status_code == 404, response.text


# --- Errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/xx/", "/es/about", "/EN/", "/english/", "/xx/phrases/", "/it/phrases/food"],
)
def test_an_unsupported_language_is_the_sites_404_page(
    client: FlaskClient, path: str
) -> None:
    soup = page(client, path, status=404)
    message = soup.main.get_text() if soup.main else ""
    assert NO_SUCH_LANGUAGE in message
    assert "English, Deutsch, Français" in message


def test_the_404_for_a_language_offers_the_page_in_the_real_ones(
    client: FlaskClient,
) -> None:
    soup = page(client, "/es/about", status=404)
    # No language in the URL: links use the visitor's best match (here the default).
    assert soup.html is not None
    assert soup.html["lang"] == "en"
    assert switcher(soup) == {"de": "/de/about", "fr": "/fr/about"}


def test_an_unknown_topic_is_a_404_in_the_pages_language(client: FlaskClient) -> None:
    soup = page(client, "/de/phrases/weather", status=404)
    assert "The phrasebook has no topic “weather”." in soup.get_text()
    assert soup.html is not None
    assert soup.html["lang"] == "de"
    assert all(url.startswith("/de/") for url in other_links(soup))


def test_a_page_with_no_route_links_in_the_visitors_language(
    client: FlaskClient,
) -> None:
    response = client.get("/fr/no/such/page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert "/fr/" in other_links(soup)
    assert switcher(soup) == {"en": "/en/", "de": "/de/"}


def test_a_405_is_the_sites_page_and_keeps_its_allow_header(
    client: FlaskClient,
) -> None:
    response = client.post("/de/about")
    assert response.status_code == 405, response.text
    assert set(response.allow) == {"GET", "HEAD", "OPTIONS"}
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.h1 is not None
    assert soup.h1.get_text() == "405 Method Not Allowed"


@pytest.mark.parametrize(
    ("trusted_hosts", "host", "message"),
    [
        (["polyglot.test"], "evil.test", "Host 'evil.test' is not trusted."),
        # Not a host name (a label over 63 characters): Werkzeug's BadHost.
        (
            None,
            "a" * 64 + ".test",
            "The browser (or proxy) sent a request that this server could not "
            "understand.",
        ),
    ],
)
def test_a_host_no_url_can_be_built_for_is_a_plain_400(
    trusted_hosts: list[str] | None, host: str, message: str
) -> None:
    app = create_app({"TESTING": True, "TRUSTED_HOSTS": trusted_hosts})
    response = app.test_client().get("/de/about", headers={"Host": host})
    assert response.status_code == 400, response.text
    # No URL can be built for this host, so no page with links either.
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"
