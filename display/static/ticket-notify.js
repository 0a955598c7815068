// 短信提醒 on a ticket's phone page (issue 21): the visitor leaves a mobile number and the
// hall texts it when few are ahead and when the number is called. The server keeps it
// masked; the page shows the masked number it answered with, or why it refused.
const form = document.getElementById("t-notify");

if (form) {
  const done = form.querySelector(".t-notify-done");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const r = await fetch(form.dataset.url, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({channel: "sms", phone: form.elements.phone.value.trim()}),
      });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error((data.error && data.error.message) || String(r.status));
      done.textContent = form.dataset.done.replace("{phone}", data.masked);
      form.elements.phone.value = "";
    } catch (err) {
      done.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
}
