// Send the upload form with XMLHttpRequest to show how much has been sent:
// fetch() cannot report upload progress yet. Without JavaScript the form
// posts as usual. No URL is written here: the request goes to the form's
// action, and the page to show next is the one the server answers with.
"use strict";

// One listener on the document: it still works after show() swaps the page.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-upload]")) return;
  event.preventDefault();
  const file = form.elements.file.files[0];
  if (file && file.size > Number(form.dataset.maxBytes)) {
    // The server would refuse it with 413 anyway, after the whole upload.
    form.querySelector("output").textContent =
      `“${file.name}” is too big: uploads can be up to ${form.dataset.limit}.`;
    return;
  }
  upload(form);
});

function upload(form) {
  const bar = form.querySelector("progress");
  const output = form.querySelector("output");
  const button = form.querySelector("button");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.responseType = "document";
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      bar.max = event.total;
      bar.value = event.loaded;
      output.textContent = `${Math.floor((100 * event.loaded) / event.total)} %`;
    }
  });
  xhr.addEventListener("load", () => {
    // After the redirect, xhr.response is the page it led to (the list, with
    // its flash message); after an error, the form with the message, or the
    // error page. Show it as a normal form post would have.
    const page = xhr.response;
    if (page && page.body) {
      document.title = page.title;
      document.body.replaceWith(document.adoptNode(page.body));
      history.replaceState(null, "", xhr.responseURL);
    } else {
      failed(form, `The server answered ${xhr.status} ${xhr.statusText}.`);
    }
  });
  xhr.addEventListener("error", () => {
    failed(form, "The upload stopped: the connection to the server was lost.");
  });
  button.disabled = true;
  bar.hidden = false;
  bar.removeAttribute("value"); // "busy" until the first progress event
  output.textContent = "";
  xhr.send(new FormData(form));
}

function failed(form, message) {
  form.querySelector("button").disabled = false;
  form.querySelector("progress").hidden = true;
  form.querySelector("output").textContent = message;
}
