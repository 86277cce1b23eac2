// Submit each task form with fetch, then poll the status URL the server
// returned until the task is ready. No URL is written here by hand: forms
// carry theirs from url_for, and the server hands back the one to poll,
// so the page works under any mount prefix.
"use strict";

const list = document.getElementById("tasks");
const rowTemplate = document.getElementById("task-row");

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
    state.className = `state ${task.state}`;
    if (task.progress) {
      bar.max = task.progress.total;
      bar.value = task.progress.current;
    }
    if (task.ready) {
      bar.max = 1;
      bar.value = task.successful ? 1 : 0;
      output.textContent = task.successful ? JSON.stringify(task.result) : task.error;
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
