// The admin shell: sign out (POST /api/v1/auth/logout with the CSRF token), then reload,
// which shows the sign-in form.
import { Api } from "/web/static/api.js";

const button = document.getElementById("sign-out");
if (button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await new Api().post("/api/v1/auth/logout");
    } catch {
      // signed out already, or the server is away: the reload shows which
    } finally {
      window.location.reload();
    }
  });
}
