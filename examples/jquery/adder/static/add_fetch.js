// Add two numbers with fetch(): JSON out, JSON back, the error shown if any.
"use strict";

// The page hands over the API's URL (url_for|tojson): no path is written here.
const api = JSON.parse(document.getElementById("api").textContent);
const form = document.getElementById("adder");
const sum = document.getElementById("sum");
const error = document.getElementById("error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  sum.textContent = "";
  error.textContent = "";
  try {
    const response = await fetch(api.add, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // An empty field is NaN, which JSON.stringify sends as null.
      body: JSON.stringify({
        a: form.elements.a.valueAsNumber,
        b: form.elements.b.valueAsNumber,
      }),
    });
    const answer = await response.json();
    if (response.ok) {
      sum.textContent = answer.sum;
    } else {
      error.textContent = answer.message; // the API's {"error", "message"}
    }
  } catch {
    // No answer at all, or one that is not JSON (a proxy's error page).
    error.textContent = "The server gave no JSON answer.";
  }
});
