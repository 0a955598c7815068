// The ticket page's complaints (issue 19): file one from the phone, and answer a reply
// (satisfied or not). The page reloads to show the complaint as the server keeps it.
const box = document.getElementById("t-complaints");

async function post(url, body) {
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((data.error && data.error.message) || String(r.status));
  return data;
}

if (box) {
  const form = document.getElementById("t-complaint-form");
  const result = form.querySelector(".t-complaint-result");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const phone = form.elements.phone.value.trim();
    try {
      await post(box.dataset.fileUrl, {text: form.elements.text.value,
                                       ...(phone ? {phone} : {})});
      location.reload();
    } catch (err) {
      result.textContent = err.message;
    }
  });
  box.querySelectorAll("[data-satisfied]").forEach((button) => {
    button.addEventListener("click", async () => {
      const item = button.closest("[data-token]");
      const url = box.dataset.answerUrl.replace("TOKEN", item.dataset.token);
      try {
        await post(url, {satisfied: button.dataset.satisfied === "1"});
        location.reload();
      } catch (err) {
        item.querySelector(".t-complaint-ask").textContent = err.message;
      }
    });
  });
}
