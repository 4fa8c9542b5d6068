// The page's one way to the server: the same /api/v1 endpoints every client uses, with the session
// cookie (sent by the browser) and the session's CSRF token on every state-changing request.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let code = "http_error";
  let message = `The server answered ${response.status}.`;
  try {
    const body = await response.json();
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not our error shape (a proxy's page): keep the generic message.
  }
  return new ApiError(response.status, code, message);
}

function headers(method, extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (!["GET", "HEAD"].includes(method) && csrfToken) out["X-CSRF-Token"] = csrfToken;
  return out;
}

export async function api(method, path, body) {
  const init = { method, headers: headers(method), credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") ?? "";
  return type.includes("json") ? response.json() : response.text();
}

/** The signed-in tenant, or null when there is no session. */
export async function currentSession() {
  try {
    const session = await api("GET", "/session");
    csrfToken = session.csrf_token;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** The API key goes to the server once, in this request, and is exchanged for the session cookie. */
export async function signIn(apiKey) {
  const response = await fetch("/api/v1/session", {
    method: "POST",
    headers: { Accept: "application/json", Authorization: `Bearer ${apiKey}` },
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  const session = await response.json();
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut() {
  await api("DELETE", "/session");
  csrfToken = null;
}

/** A multipart upload with progress (fetch reports none for request bodies): onProgress(0..1). */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1${path}`);
    for (const [name, value] of Object.entries(headers("POST"))) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body);
      } else {
        reject(new ApiError(xhr.status, body?.error?.code ?? "http_error", body?.error?.message ?? "The upload failed."));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "The connection was lost during the upload.")));
    xhr.send(form);
  });
}

/** Live progress of a case's runs (server-sent events): onTask(task) per change; resolves at the end. */
export function followCase(caseId, onTask) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`/api/v1/cases/${encodeURIComponent(caseId)}/events`);
    source.addEventListener("task", (event) => onTask(JSON.parse(event.data)));
    source.addEventListener("end", () => {
      source.close();
      resolve();
    });
    source.addEventListener("error", () => {
      // EventSource would reconnect forever; the page reports the break and stops.
      source.close();
      reject(new ApiError(0, "stream", "Live progress was interrupted. Reload the case to see where it is."));
    });
  });
}
