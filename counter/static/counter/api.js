// The counter terminal's only way to the server: JSON over /api/v1 with the session cookie,
// the CSRF token on writes, and the page's language for the API's own error words. A session
// signed in with a one-time password is refused everything (403 password_change_required):
// the page reloads, and the server shows the form that replaces it instead of the terminal.

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const err = body && body.error;
    super((err && err.message) || fallback || `HTTP ${status}`);
    this.status = status;
    this.code = err ? err.code : null;
    this.field = err ? err.field : null;
  }
}

export class Api {
  constructor(base, lang, offlineText) {
    this.base = base;
    this.lang = lang;
    this.offlineText = offlineText;
    this.csrf = null;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json", "Accept-Language": this.lang };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      if (this.csrf) headers["X-CSRFToken"] = this.csrf;
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    let response;
    try {
      response = await fetch(this.base + path, init);
    } catch {
      throw new ApiError(0, null, this.offlineText); // network down: say so in plain words
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.status === 403 && data && data.error
        && data.error.code === "password_change_required") {
      window.location.reload(); // signed in with a one-time password: /counter shows the form
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }
}
