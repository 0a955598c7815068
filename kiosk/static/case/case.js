// 办件查询 phone page: the page works without this file (the server forgives case and
// spaces); this only refuses an empty look-up on the spot and stops a double submit.

const form = document.getElementById("c-form");
const input = document.getElementById("c-number");
const problem = document.getElementById("c-problem");

form.addEventListener("submit", (ev) => {
  if (!input.value.trim()) {
    ev.preventDefault();
    problem.textContent = form.dataset.empty;
    problem.hidden = false;
    input.focus();
    return;
  }
  form.querySelector("button[type=submit]").disabled = true;
});

// a fresh page with nothing typed: the cursor in the box, ready (no answer to read first)
if (!input.value && !document.getElementById("c-case")) input.focus();

// back to this page from the answer (bfcache): the button works again
window.addEventListener("pageshow", () => {
  form.querySelector("button[type=submit]").disabled = false;
});
