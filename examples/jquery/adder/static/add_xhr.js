// Add two numbers with XMLHttpRequest: the same request as fetch(), with events.
"use strict";

// The page hands over the API's URL (url_for|tojson): no path is written here.
const api = JSON.parse(document.getElementById("api").textContent);
const form = document.getElementById("adder");
const sum = document.getElementById("sum");
const error = document.getElementById("error");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  sum.textContent = "";
  error.textContent = "";
  const request = new XMLHttpRequest();
  request.open("POST", api.add);
  request.setRequestHeader("Content-Type", "application/json");
  request.responseType = "json"; // parsed by the browser: null if it is not JSON
  request.addEventListener("load", () => {
    const answer = request.response;
    if (answer === null) {
      error.textContent = "The server gave no JSON answer.";
    } else if (request.status === 200) {
      sum.textContent = answer.sum;
    } else {
      error.textContent = answer.message; // the API's {"error", "message"}
    }
  });
  request.addEventListener("error", () => {
    error.textContent = "The server gave no JSON answer.";
  });
  // An empty field is NaN, which JSON.stringify sends as null.
  request.send(
    JSON.stringify({
      a: form.elements.a.valueAsNumber,
      b: form.elements.b.valueAsNumber,
    }),
  );
});
