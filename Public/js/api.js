// Thin fetch wrappers: every API error becomes an ApiError carrying the
// server's {"error", "detail"} body, so callers can show it as is.

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(error);
    this.status = status;
    this.error = error;
    this.detail = detail || '';
  }
  toString() { return this.detail ? `${this.error} — ${this.detail}` : this.error; }
}

/** A non-JSON body (a proxy's HTML page, plain text) as one short readable line; JSON is never shown raw. */
function plainText(text) {
  const trimmed = text.trim();
  if (!trimmed || trimmed.startsWith('{') || trimmed.startsWith('[')) return '';
  const line = trimmed.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

async function parse(response, what) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!response.ok) {
    // The API's errors are {"error", "detail"}: show those two texts and nothing else.
    const apiError = body && typeof body.error === 'string';
    const error = apiError ? body.error : `${what}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    const detail = apiError ? (typeof body.detail === 'string' ? body.detail : '') : plainText(text);
    throw new ApiError(response.status, error, detail);
  }
  if (body === null) throw new ApiError(response.status, `${what}: expected JSON`, plainText(text));
  return body;
}

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, `${method} ${path}: the server did not answer`, String(e));
  }
  return parse(response, `${method} ${path}`);
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body),
  del: (path) => request('DELETE', path),
};
