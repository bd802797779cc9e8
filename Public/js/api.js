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

async function parse(response, what) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!response.ok) {
    const error = body && body.error ? body.error : `${what}: HTTP ${response.status}`;
    throw new ApiError(response.status, error, body && body.detail ? body.detail : text.slice(0, 200));
  }
  if (body === null) throw new ApiError(response.status, `${what}: expected JSON`, text.slice(0, 200));
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
