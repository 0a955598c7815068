// Sign-in form of the admin pages: POST /api/v1/auth/login, then reload the page, which
// the server now renders for the signed-in supervisor.
const $ = (id) => document.getElementById(id);
const locale = document.body.dataset.locale || "zh_CN";

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  $("login-submit").disabled = true;
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
      $("login-error").textContent = (reply && reply.error && reply.error.message) ||
        `HTTP ${r.status}`;
      return;
    }
    window.location.reload();
  } catch (err) {
    $("login-error").textContent = String(err.message || err);
  } finally {
    $("login-submit").disabled = false;
  }
});
