// The one way the console talks to the Kiosque APIs.
//
// - The session lives in an HttpOnly cookie, so fetch only needs `credentials: "same-origin"`.
// - Every state-changing request carries the CSRF token (the server answers 403 `csrf` without it).
// - JSON bodies are sent as application/json (the APIs answer 415 otherwise); the media
//   library's upload parts are raw bytes, sent as application/octet-stream (sendBytes).
// - Errors are thrown as ApiError, built from the APIs' `{"error":{code,message,field?,fields?}}`.
// - A 401 anywhere means the session ended: go to the sign-in page, then come back here.

let csrfToken = null;

/** Remembers the CSRF token given by sign-in or GET /api/staff/me. */
export function setCsrf(token) {
  csrfToken = token || null;
}

/** An error answered by an API (status >= 400), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, field = null, fields = []) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'unknown';
    this.field = field || null;
    // Always an array of {field, message}, so callers need not check.
    this.fields = Array.isArray(fields) ? fields : [];
  }
}

/** Where a 401 sends the browser: the sign-in page, which comes back to the current screen. */
export function signInUrl() {
  const next = location.hash || '#/';
  return `/admin/sign-in.html?next=${encodeURIComponent(next)}`;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Calls an API and returns its parsed JSON (null on 204 or an empty body; text for non-JSON).
 *
 * `options.redirectOn401 = false` lets a caller (the sign-in form) handle 401 itself.
 */
export async function api(method, path, body, options = {}) {
  const verb = String(method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json' };
  const init = { method: verb, headers, credentials: 'same-origin' };
  if (body !== undefined && body !== null && verb !== 'GET' && verb !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(verb, path, init, options);
}

/**
 * Sends raw bytes (a Blob, such as a slice of a File) as application/octet-stream, for the
 * media library's uploads in parts; answers and errors as api() does.
 *
 * `options.signal` (an AbortSignal) stops the request: it then throws ApiError code 'aborted'.
 */
export async function sendBytes(method, path, bytes, options = {}) {
  const verb = String(method || 'PUT').toUpperCase();
  const headers = { Accept: 'application/json', 'Content-Type': 'application/octet-stream' };
  return send(verb, path, { method: verb, headers, credentials: 'same-origin', body: bytes }, options);
}

/** The fetch itself, shared by api() and sendBytes(): CSRF header, 401, errors. */
async function send(verb, path, init, options) {
  if (UNSAFE.has(verb) && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  if (options.signal) init.signal = options.signal;

  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    // A request stopped on purpose is not a network failure: callers tell them apart.
    if (cause && cause.name === 'AbortError') throw new ApiError(0, 'aborted', 'request aborted');
    // fetch rejects only on network failure (offline, server down, CORS): no HTTP status.
    throw new ApiError(0, 'network', cause && cause.message ? cause.message : 'network error');
  }

  if (response.status === 401 && options.redirectOn401 !== false) {
    location.assign(signInUrl());
    // The page is leaving; a pending promise would leave callers hanging, so throw.
    throw new ApiError(401, 'unauthenticated', 'not signed in');
  }

  const text = response.status === 204 ? '' : await response.text();
  const type = response.headers.get('content-type') || '';
  let data = null;
  if (text) {
    if (type.includes('json')) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    } else {
      data = text;
    }
  }

  if (!response.ok) {
    // Problem details (RFC 9457): `code`, `detail` and `fields` at the top; the `error`
    // member carries the same for older clients and is read only if they are missing.
    const problem = data && typeof data === 'object' ? data : {};
    const legacy = problem.error && typeof problem.error === 'object' ? problem.error : {};
    const apiError = new ApiError(
      response.status,
      problem.code ||
        legacy.code ||
        (response.status === 403 ? 'forbidden' : `http_${response.status}`),
      problem.detail ||
        legacy.message ||
        (typeof data === 'string' ? data.slice(0, 200) : response.statusText),
      legacy.field,
      problem.fields || legacy.fields,
    );
    // 429 answers say when to try again; keep it for the message.
    const retry = response.headers.get('retry-after');
    if (retry) apiError.retryAfter = Number(retry);
    throw apiError;
  }
  return data;
}

/** Shorthands. */
export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** Builds a query string from an object, skipping empty values: qs({a: 1, b: ''}) → "?a=1". */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
