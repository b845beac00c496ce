// The admin API with the session cookie. Errors come back as OperationOutcome: their text and
// the field they name are what the page shows.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, data));
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body ?? {});

function messageOf(status, data) {
  const issues = data?.issue ?? [];
  const text = issues
    .map((i) => {
      const said = i.diagnostics ?? i.details?.text ?? i.code;
      // The service's diagnostics usually start with the field already ("hookInstance: is required").
      const fields = (i.expression ?? []).filter((f) => !said.startsWith(`${f}:`));
      return fields.length ? `${said} (${fields.join(', ')})` : said;
    })
    .join('; ');
  if (status === 401) return text || 'You are not logged in.';
  if (status === 403) return text || 'Your role does not allow this.';
  return text || `The service answered ${status}.`;
}

/** Query string from the values that are set. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
