// The change-password form (hall/web/templates/web/password_form.html), wherever a room
// shows it: POST /api/v1/auth/password {current, new} through the shared API wrapper, each
// refusal under the field the server names (current: wrong, or locked after repeated
// failures; new: the password policy). Once changed: go to the form's data-next (a one-time
// password was replaced, so the page asked for shows itself now) or say so.
// An optional [data-sign-out] button signs out and goes to its data-href.
import { Api, ApiError } from "/web/static/api.js";

const $ = (id) => document.getElementById(id);
const form = $("password-form");
const api = new Api({ locale: document.body.dataset.locale || null,
                      offlineText: form && form.dataset.msgNetwork });
const FIELDS = { current: "password-current", new: "password-new", again: "password-again" };

function clear() {
  for (const box of form.querySelectorAll(".pw-error")) box.textContent = "";
  for (const id of Object.values(FIELDS)) $(id).removeAttribute("aria-invalid");
  $("password-done").textContent = "";
}

function refuse(field, message) {
  const input = FIELDS[field] ? $(FIELDS[field]) : null;
  const box = input ? $(`${FIELDS[field]}-error`) : $("password-error");
  box.textContent = message;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

async function submit(e) {
  e.preventDefault();
  clear();
  const current = $("password-current").value;
  const fresh = $("password-new").value;
  if (!current) {
    refuse("current", form.dataset.msgEmpty);
    return;
  }
  if (fresh !== $("password-again").value) {
    refuse("again", form.dataset.msgMismatch);
    return;
  }
  $("password-submit").disabled = true;
  try {
    await api.post("/api/v1/auth/password", { current, new: fresh });
    form.reset();
    if (form.dataset.next) {
      window.location.assign(form.dataset.next);
      return;
    }
    $("password-done").textContent = form.dataset.msgChanged;
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    const words = err.message || form.dataset.msgFailed.replace("{status}", String(status));
    refuse(err.field === "current" || err.field === "new" ? err.field : null, words);
    if (err.status === 401) window.location.reload(); // the session ended: sign in again
  } finally {
    $("password-submit").disabled = false;
  }
}

if (form) form.addEventListener("submit", submit);

for (const button of document.querySelectorAll("[data-sign-out]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api.post("/api/v1/auth/logout");
    } catch {
      // signed out already, or the server is away: the next page shows which
    }
    window.location.assign(button.dataset.href || window.location.pathname);
  });
}
