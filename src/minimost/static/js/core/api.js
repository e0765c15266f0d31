// fetch wrapper for the JSON API: same-origin cookies, the CSRF header on every
// state-changing call, and one error type (ApiError) for HTTP and network failures.

let csrfToken = null;
let onUnauthenticated = null;
let refreshCsrf = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/**
 * How to get a fresh CSRF token (the app asks /api/v1/me). Used once per call when the
 * server answers 403 csrf_failed, e.g. after it rotated its secret.
 */
export function setCsrfRefresher(refresher) {
  refreshCsrf = refresher;
}

/** Called once when a call answers 401 not_authenticated (the session is gone). */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

export class ApiError extends Error {
  constructor({ status = 0, code = "network_error", message = "Network error", fields = null, retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }

  /** Worth retrying the same request later (idempotent calls only). */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function request(method, path, body, { signal, auth = true, retried = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError({ message: "Can't reach the server." });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = (data && data.error) || {};
  const retryHeader = Number(response.headers.get("Retry-After"));
  const apiError = new ApiError({
    status: response.status,
    code: error.code || `http_${response.status}`,
    message: error.message || response.statusText || "Request failed",
    fields: error.fields || null,
    retryAfter: Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null,
  });
  if (auth && response.status === 401 && onUnauthenticated) onUnauthenticated(apiError);
  if (apiError.code === "csrf_failed" && refreshCsrf && !retried) {
    setCsrfToken(await refreshCsrf());
    return request(method, path, body, { signal, auth, retried: true });
  }
  throw apiError;
}

export const api = {
  get: (path, opts) => request("GET", path, undefined, opts),
  post: (path, body = {}, opts) => request("POST", path, body, opts),
  patch: (path, body = {}, opts) => request("PATCH", path, body, opts),
  del: (path, opts) => request("DELETE", path, undefined, opts),
};

/**
 * Upload one file as multipart (field `file`) with progress: fetch() reports no upload
 * progress, XMLHttpRequest does. Same CSRF header, errors and 401 handling as request().
 * Returns { promise, abort }; `onProgress(loaded, total)` follows the bytes sent.
 */
export function upload(method, path, file, { onProgress = null, name = file.name } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, name);
    xhr.open(method, path);
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    if (onProgress) xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener("error", () => reject(new ApiError({ message: "Can't reach the server." })));
    xhr.addEventListener("abort", () => reject(new DOMException("Upload cancelled", "AbortError")));
    xhr.addEventListener("load", () => {
      const data = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const error = (data && data.error) || {};
      const retry = Number(xhr.getResponseHeader("Retry-After"));
      const apiError = new ApiError({
        status: xhr.status,
        code: error.code || `http_${xhr.status}`,
        message: error.message || xhr.statusText || "Upload failed",
        fields: error.fields || null,
        retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
      });
      if (xhr.status === 401 && onUnauthenticated) onUnauthenticated(apiError);
      reject(apiError);
    });
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Human text for an error, including "try again in N s" for rate limits. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return "Something went wrong.";
  if (err.code === "rate_limited") {
    return err.retryAfter ? `Too many attempts. Try again in ${err.retryAfter} s.` : "Too many attempts. Try again shortly.";
  }
  return err.message || "Something went wrong.";
}
