// The one way a page reaches the JSON API (/api/v1): the session cookie of this origin, the
// CSRF token on writes (from <meta name="csrf-token">, which signed-in pages carry), the
// page's language for the API's own error words (?lang=, which outranks a language kept in
// the session), and one error shape: {status, code, field, details, message}.

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const err = (body && body.error) || {};
    super(err.message || fallback || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || null;
    this.field = err.field || null;
    this.details = err.details || [];
  }
}

function metaCsrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : null;
}

export function withLang(url, locale) {
  if (!locale) return url;
  return `${url}${url.includes("?") ? "&" : "?"}lang=${encodeURIComponent(locale)}`;
}

export class Api {
  // base: a prefix for every path; locale: the page's (zh_CN | en); offlineText: the words
  // for "the server cannot be reached" (a network error has no body to carry them);
  // onUnauthorized: what a page does when its session ended elsewhere (401), e.g. reload
  // to show the sign-in form.
  constructor({ base = "", locale = null, offlineText = null, csrf = metaCsrf(),
                onUnauthorized = null } = {}) {
    this.base = base;
    this.locale = locale;
    this.offlineText = offlineText;
    this.csrf = csrf;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
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
      response = await fetch(withLang(this.base + path, this.locale), init);
    } catch {
      throw new ApiError(0, null, this.offlineText); // network down: say so in plain words
    }
    const data = await response.json().catch(() => null);
    if (response.status === 401 && this.onUnauthorized) this.onUnauthorized();
    if (response.status === 403 && data && data.error
        && data.error.code === "password_change_required") {
      window.location.reload();
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
