// 办件查询 phone page: the page works without this file (the server forgives case and
// spaces); this only refuses a look-up without the number or the look-up code on the spot
// and stops a double submit.

const form = document.getElementById("c-form");
const input = document.getElementById("c-number");
const code = document.getElementById("c-code");
const problem = document.getElementById("c-problem");

form.addEventListener("submit", (ev) => {
  const missing = !input.value.trim() ? [input, form.dataset.empty]
    : !code.value.trim() ? [code, form.dataset.noCode] : null;
  if (missing) {
    ev.preventDefault();
    problem.textContent = missing[1];
    problem.hidden = false;
    missing[0].focus();
    return;
  }
  form.querySelector("button[type=submit]").disabled = true;
});

// a fresh page: the cursor in the first empty box, ready (no answer to read first)
if (!document.getElementById("c-case")) (input.value ? code : input).focus();

// back to this page from the answer (bfcache): the button works again
window.addEventListener("pageshow", () => {
  form.querySelector("button[type=submit]").disabled = false;
});
