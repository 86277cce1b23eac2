"""Template inheritance: which template each part of a page comes from.

base.html (the site) <- home.html, error.html
base.html <- guides/layout.html (the section) <- guides/index.html, guides/<slug>.html
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import nodes

from tea_guide import create_app
from tea_guide.views import GUIDES

# What each layout puts in <head>, in order: the site's, then the section's.
SITE_HEAD = [
    "meta charset",
    "meta viewport",
    "title",
    "link stylesheet",
    "style footer",
]
SECTION_HEAD = ["style .guide"]
SITE_FOOTER = "Tea Guide: short notes on brewing loose-leaf tea."
SECTION_FOOTER = "Times and temperatures are a starting point: taste, then adjust."
GUIDE_PAGES = [f"/guides/{slug}" for slug in GUIDES]
ALL_PAGES = ["/", "/guides/", *GUIDE_PAGES]
BAD_REQUEST = (
    "The browser (or proxy) sent a request that this server could not understand."
)


def fetch(client: FlaskClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, response.text
    return BeautifulSoup(response.text, "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    tag = soup.select_one(selector)
    assert tag is not None, f"no {selector} in the page"
    return tag


def head_parts(soup: BeautifulSoup) -> list[str]:
    """The <head>'s elements as short labels, in document order."""
    labels = []
    for tag in one(soup, "head").find_all(recursive=False):
        if tag.name == "meta":
            kind = "charset" if tag.has_attr("charset") else tag["name"]
            labels.append(f"meta {kind}")
        elif tag.name == "link":
            labels.append(f"link {' '.join(tag['rel'])}")
        elif tag.name == "style":
            labels.append(f"style {tag.get_text().split()[0]}")  # its first selector
        else:
            labels.append(tag.name)
    return labels


def texts(tags: list[Tag]) -> list[str]:
    return [" ".join(tag.get_text().split()) for tag in tags]


def extends_chain(app: Flask, name: str) -> list[str]:
    """The template, its parent, and so on up to the one that extends no other."""
    chain = [name]
    while True:
        assert app.jinja_env.loader is not None
        source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, chain[-1])
        extends = app.jinja_env.parse(source).find(nodes.Extends)
        if extends is None:
            return chain
        assert isinstance(extends.template, nodes.Const)
        chain.append(extends.template.value)


# --- The chains -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "chain"),
    [
        ("home.html", ["home.html", "base.html"]),
        ("error.html", ["error.html", "base.html"]),
        ("guides/layout.html", ["guides/layout.html", "base.html"]),
        (
            "guides/index.html",
            ["guides/index.html", "guides/layout.html", "base.html"],
        ),
        *[
            (
                f"guides/{slug}.html",
                [f"guides/{slug}.html", "guides/layout.html", "base.html"],
            )
            for slug in GUIDES
        ],
    ],
)
def test_pages_extend_the_site_layout_directly_or_through_the_section(
    app: Flask, template: str, chain: list[str]
) -> None:
    assert extends_chain(app, template) == chain


# --- Blocks filled, kept, extended with super() and replaced ---------------------


@pytest.mark.parametrize(
    ("path", "title", "heading"),
    [
        ("/", "Welcome · Tea Guide", "Loose-leaf tea, brewed well"),
        ("/guides/", "Guides · Tea Guide", "All guides"),
        ("/guides/brewing", "Brewing · Guides · Tea Guide", "Brewing"),
        ("/guides/water", "Water · Guides · Tea Guide", "Water"),
        ("/guides/storage", "Storage · Guides · Tea Guide", "Storage"),
    ],
)
def test_the_title_is_built_by_each_level(
    client: FlaskClient, path: str, title: str, heading: str
) -> None:
    # The page names itself once (its heading); the section adds "· Guides"
    # around self.heading(), the site adds "· Tea Guide" around the title block.
    page = fetch(client, path)
    assert one(page, "title").get_text() == title
    assert one(page, "main h1").get_text() == heading


@pytest.mark.parametrize(
    ("path", "head"),
    [
        ("/", [*SITE_HEAD, "meta description"]),
        ("/guides/", [*SITE_HEAD, *SECTION_HEAD]),
        ("/guides/brewing", [*SITE_HEAD, *SECTION_HEAD, "meta description"]),
        ("/guides/water", [*SITE_HEAD, *SECTION_HEAD]),
    ],
)
def test_super_keeps_each_parents_head_before_the_childs_additions(
    client: FlaskClient, path: str, head: list[str]
) -> None:
    assert head_parts(fetch(client, path)) == head


@pytest.mark.parametrize(
    ("path", "description"),
    [
        ("/", "Short guides to brewing loose-leaf tea."),
        (
            "/guides/brewing",
            "Water temperature and steeping time for each kind of tea.",
        ),
    ],
)
def test_the_page_adds_its_own_description_to_the_head(
    client: FlaskClient, path: str, description: str
) -> None:
    assert one(fetch(client, path), "head meta[name=description]")["content"] == (
        description
    )


@pytest.mark.parametrize(
    ("path", "footer"),
    [
        ("/", [SITE_FOOTER]),  # kept: home.html has no footer block
        ("/guides/", [SITE_FOOTER, SECTION_FOOTER]),  # the section's super()
        ("/guides/brewing", [SITE_FOOTER, SECTION_FOOTER]),
        ("/guides/water", [SITE_FOOTER, SECTION_FOOTER]),
        # Replaced without super(): neither the site's nor the section's text.
        (
            "/guides/storage",
            ["Tea Guide: storage notes apply to loose leaves, not tea bags."],
        ),
    ],
)
def test_footer_is_kept_extended_or_replaced(
    client: FlaskClient, path: str, footer: list[str]
) -> None:
    assert texts(fetch(client, path).select("footer p")) == footer


@pytest.mark.parametrize("path", [*ALL_PAGES, "/guides/missing"])
def test_every_page_has_the_sites_header(client: FlaskClient, path: str) -> None:
    status = 404 if path.endswith("missing") else 200
    header = one(fetch(client, path, status), "body > header")
    brand = one(header, "a")
    assert (brand.get_text(), brand["href"]) == ("Tea Guide", "/")
    links = header.select("nav a")
    assert [(a.get_text(), a["href"]) for a in links] == [
        ("Home", "/"),
        ("Guides", "/guides/"),
    ]


@pytest.mark.parametrize("path", ["/guides/", *GUIDE_PAGES])
def test_guide_pages_get_the_sections_contents_beside_their_article(
    client: FlaskClient, path: str
) -> None:
    page = fetch(client, path)
    layout = one(page, "main > .guide")
    # The include, from the section layout, lists every guide in order.
    contents = layout.select("aside nav[aria-label=Guides] li a")
    assert [(a.get_text(), a["href"]) for a in contents] == [
        (title, f"/guides/{slug}") for slug, title in GUIDES.items()
    ]
    # The page's own text sits in the section's <article>, under the heading.
    article = one(layout, "article")
    assert article.find_all(recursive=False)[0].name == "h1"
    assert len(article.find_all("p")) >= 1


def test_pages_outside_the_section_have_no_contents(client: FlaskClient) -> None:
    page = fetch(client, "/")
    assert page.select("aside") == []
    assert page.select(".guide") == []
    assert "Times and temperatures" not in page.get_text()


def test_the_brewing_table_is_the_pages_own_content(client: FlaskClient) -> None:
    article = one(fetch(client, "/guides/brewing"), ".guide article")
    rows = [texts(row.find_all("td")) for row in article.select("tbody tr")]
    assert rows == [
        ["Green", "70 to 80 °C", "1 to 3 min"],
        ["Oolong", "85 to 95 °C", "2 to 4 min"],
        ["Black", "95 to 100 °C", "3 to 5 min"],
    ]


# --- The macros -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", ("Home", "/")),
        ("/guides/", ("Guides", "/guides/")),
        ("/guides/brewing", ("Brewing", "/guides/brewing")),
        ("/guides/water", ("Water", "/guides/water")),
        ("/guides/storage", ("Storage", "/guides/storage")),
    ],
)
def test_nav_link_marks_exactly_the_page_being_shown(
    client: FlaskClient, path: str, current: tuple[str, str]
) -> None:
    marked = fetch(client, path).select("a[aria-current]")
    assert [(a.get_text(), a["href"], a["aria-current"]) for a in marked] == [
        (*current, "page")
    ]


@pytest.mark.parametrize(
    ("path", "title", "body"),
    [
        ("/", "New to loose tea?", "Start with Brewing."),
        (
            "/guides/brewing",
            "Bitter?",
            "Use cooler water or a shorter steep, not fewer leaves.",
        ),
    ],
)
def test_tip_macro_wraps_the_text_of_its_call_block(
    client: FlaskClient, path: str, title: str, body: str
) -> None:
    tips = fetch(client, path).select("main p.tip[role=note]")
    assert texts(tips) == [f"{title} {body}"]
    assert one(tips[0], "strong").get_text() == title


def test_tip_macro_keeps_links_in_its_call_block(client: FlaskClient) -> None:
    tip = one(fetch(client, "/"), "p.tip")
    assert one(tip, "a")["href"] == "/guides/brewing"


# --- Only real guides are pages -------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["missing", "layout", "_contents", "index", "base", "brewing.html"]
)
def test_a_url_cannot_render_a_layout_or_a_partial(
    client: FlaskClient, slug: str
) -> None:
    page = fetch(client, f"/guides/{slug}", 404)
    assert one(page, "main h1").get_text() == "404 Not Found"
    assert one(page, "main p").get_text() == "There is no guide by that name."
    assert one(page, "title").get_text() == "404 Not Found · Tea Guide"
    assert page.select("aside") == []  # the error page is not in the section


@pytest.mark.parametrize(
    "path", ["/guides/..%2fbase.html", "/guides/a/b", "/base.html"]
)
def test_paths_that_match_no_route_get_the_sites_404_page(
    client: FlaskClient, path: str
) -> None:
    page = fetch(client, path, 404)
    assert one(page, "title").get_text() == "404 Not Found · Tea Guide"
    assert one(page, "main a")["href"] == "/guides/"


# --- Other errors ---------------------------------------------------------------


def test_a_405_keeps_its_allow_header_on_the_sites_error_page(
    client: FlaskClient,
) -> None:
    response = client.post("/guides/")
    assert response.status_code == 405, response.text
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.content_type == "text/html; charset=utf-8"
    page = BeautifulSoup(response.text, "html.parser")
    assert one(page, "title").get_text() == "405 Method Not Allowed · Tea Guide"


@pytest.mark.parametrize(
    ("trusted", "host", "message"),
    [
        (None, "a..b", BAD_REQUEST),  # an empty label
        (None, "x" * 64 + ".example", BAD_REQUEST),  # a label over 63 characters
        (["tea.example"], "evil.example", "Host 'evil.example' is not trusted."),
    ],
)
def test_a_bad_or_untrusted_host_gets_plain_text_without_links(
    trusted: list[str] | None, host: str, message: str
) -> None:
    # Refused before routing: no URL can be built for it, so no page with links.
    app = create_app({"TESTING": True, "TRUSTED_HOSTS": trusted})
    response = app.test_client().get("/guides/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"
