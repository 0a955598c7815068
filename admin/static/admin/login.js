// Sign-in form of the admin pages: POST /api/v1/auth/login, then reload the page, which
// the server now renders for the signed-in supervisor. Refusals are shown as the server
// words them: a wrong password (401), an account locked after repeated failures (409
// "locked", with how long), too many attempts from here (429, the button waits for
// Retry-After before it can be pressed again).
const $ = (id) => document.getElementById(id);
const form = $("login-form");
const button = $("login-submit");
const locale = document.body.dataset.locale || "zh_CN";
let waitUntil = 0;

function show(message, kind) {
  $("login-error").textContent = message;
  $("login-error").dataset.kind = kind || "";
}

function waitFor(seconds) {
  waitUntil = Date.now() + seconds * 1000;
  button.disabled = true;
  setTimeout(() => {
    waitUntil = 0;
    button.disabled = false;
  }, seconds * 1000);
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  if (Date.now() < waitUntil) return;
  show("");
  button.disabled = true;
  try {
    const r = await fetch(`/api/v1/auth/login?lang=${encodeURIComponent(locale)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ login: $("login-user").value.trim(),
                             password: $("login-password").value }),
    });
    const reply = await r.json().catch(() => null);
    if (!r.ok) {
      const error = (reply && reply.error) || {};
      show(error.message || form.dataset.msgFailed.replace("{status}", String(r.status)),
           error.code);
      $("login-password").value = "";
      if (r.status === 429) waitFor(Number(r.headers.get("Retry-After")) || 60);
      return;
    }
    window.location.reload();
  } catch (err) {
    show(form.dataset.msgNetwork, "network");
  } finally {
    if (Date.now() >= waitUntil) button.disabled = false;
  }
});
