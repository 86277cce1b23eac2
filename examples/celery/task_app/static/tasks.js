// Submit each task form with fetch, then poll the status URL the server
// returned until the task is ready. No URL is written here by hand: forms
// carry theirs from url_for, and the server hands back the one to poll,
// so the page works under any mount prefix.
"use strict";

const list = document.getElementById("tasks");
const rowTemplate = document.getElementById("task-row");

// A finished task's result in words, not as raw JSON.
function describe(result) {
  if (result !== null && typeof result === "object" && "total" in result) {
    return `${result.current} of ${result.total} items processed`;
  }
  return String(result);
}

async function poll(url, row) {
  const state = row.querySelector(".state");
  const bar = row.querySelector("progress");
  const output = row.querySelector("output");
  for (;;) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const task = await response.json();
    if (!response.ok) {
      state.textContent = "error";
      output.textContent = task.message;
      return;
    }
    state.textContent = task.state;
    state.className = task.ready && !task.successful ? "state error" : "state";
    if (task.progress) {
      bar.hidden = false;
      bar.max = task.progress.total;
      bar.value = task.progress.current;
    }
    if (task.ready) {
      if (task.successful) {
        bar.value = bar.max;
        output.textContent = describe(task.result);
      } else {
        bar.hidden = true;  // a failed task has no progress worth showing
        output.textContent = task.error;
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

for (const form of document.querySelectorAll("form.task-form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector(".name").textContent = form.querySelector("button").textContent;
    list.prepend(row);
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    const answer = await response.json();
    if (response.ok) {
      poll(answer.status_url, row);
    } else {
      row.querySelector(".state").textContent = "rejected";
      row.querySelector("output").textContent = answer.message;
    }
  });
}
