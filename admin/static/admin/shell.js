// The admin shell: sign out (POST /api/v1/auth/logout with the CSRF token), then reload,
// which shows the sign-in form.
const button = document.getElementById("sign-out");
if (button) {
  button.addEventListener("click", async () => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    button.disabled = true;
    try {
      await fetch("/api/v1/auth/logout", {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
      });
    } finally {
      window.location.reload();
    }
  });
}
