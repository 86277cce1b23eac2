// The browser half of the single-page app: routing with the History API.
// The server answers every client route with the same page (shell.py); this
// script reads the address, fetches JSON from the API and draws the view.
// Clicks on links change the address with pushState, no page load; the back
// and forward buttons fire popstate, and the view is drawn again.

// Where the app is mounted ("/" or "/mounted/"), and the API's URL: from the page.
const config = JSON.parse(document.getElementById("config").textContent);
const view = document.getElementById("view");

// Client routes, as paths below config.root, and the view each one shows.
const routes = [
  [/^$/, planetList],
  [/^planets\/([^/]+)$/, planetDetail],
  [/^about$/, about],
];

async function planetList() {
  const planets = await getJSON(config.planets);
  const items = planets.map((planet) =>
    h("li", {}, link(`planets/${encodeURIComponent(planet.slug)}`, planet.name),
      h("small", {}, planet.kind)),
  );
  return ["Planets", h("h1", {}, "Planets"), h("ul", { class: "planets" }, ...items)];
}

async function planetDetail(slug) {
  // slug comes from the address, still percent-encoded: safe in a URL as it is.
  const planet = await getJSON(`${config.planets}/${slug}`);
  const year = planet.year_days.toLocaleString("en");
  return [
    planet.name,
    h("h1", {}, planet.name),
    h("p", {}, planet.summary),
    h("p", {}, `A ${planet.kind} planet: its year lasts ${year} Earth days.`),
    h("p", {}, link("", "All planets")),
  ];
}

function about() {
  return [
    "About",
    h("h1", {}, "About"),
    h("p", {}, "One page from the server, many addresses in the browser: " +
      "this guide draws each view itself and asks the server only for JSON."),
  ];
}

function notFound() {
  return problem("Page not found", "No page of this guide has that address.");
}

function problem(title, message) {
  return [title, h("h1", {}, title), h("p", { class: "error" }, message),
    h("p", {}, link("", "All planets"))];
}

// The API's answer, or an error carrying the API's own title and message.
async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (body === null) {
    const error = new Error("The server gave no JSON answer.");
    throw Object.assign(error, { title: "No answer" });
  }
  if (!response.ok) {
    throw Object.assign(new Error(body.message), { title: body.error });
  }
  return body;
}

let drawn = 0; // counts draws, so a slow answer cannot replace a newer view

async function draw({ focus = true } = {}) {
  const ticket = ++drawn;
  // The page is only ever served below config.root: the rest is the route.
  const path = location.pathname.slice(config.root.length);
  let show = notFound;
  for (const [pattern, render] of routes) {
    const found = pattern.exec(path);
    if (found) {
      show = () => render(...found.slice(1));
      break;
    }
  }
  view.setAttribute("aria-busy", "true");
  let title, nodes;
  try {
    [title, ...nodes] = await show();
  } catch (error) {
    [title, ...nodes] = problem(error.title ?? "Error", error.message);
  }
  if (ticket !== drawn) return; // the user has moved on meanwhile
  document.title = `${title} · Planet guide`;
  view.replaceChildren(...nodes);
  view.setAttribute("aria-busy", "false");
  if (focus) {
    // Tell screen readers the page changed, as a page load would.
    nodes[0].tabIndex = -1;
    nodes[0].focus();
  }
}

// Links marked data-route are the app's own pages: shown here, no page load.
document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[data-route]");
  const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
  // A click that opens a new tab or window is left to the browser.
  if (!anchor || event.button !== 0 || modified || event.defaultPrevented) return;
  event.preventDefault();
  if (anchor.href !== location.href) history.pushState(null, "", anchor.href);
  draw();
});
window.addEventListener("popstate", () => draw());
draw({ focus: false });

// An element with attributes and children; strings become text, never HTML.
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

function link(path, text) {
  return h("a", { href: config.root + path, "data-route": "" }, text);
}
