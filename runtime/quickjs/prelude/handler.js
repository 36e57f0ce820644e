// The user module's default export, and dispatch: one request in, one
// response out through host.respond/host.write.

let userHandler = null;
let handlerStyle = "";
let workerEnv = {};
const waitUntilPromises = [];

function setup(configJSON) {
  const cfg = jsonParse(configJSON);
  workerEnv = { ...cfg.env };
  for (const k of Object.keys(cfg.env)) processEnv[k] = cfg.env[k];
  seedRandom();
}

async function setHandler(ns) {
  ns = await ns;
  const d = ns ? ns.default : undefined;
  if (typeof d === "function") {
    userHandler = d;
    handlerStyle = "appwrite";
  } else if (d && typeof d === "object" && typeof d.fetch === "function") {
    userHandler = d;
    handlerStyle = "workers";
  } else if (d === undefined) {
    return "none:the module has no default export; write `export default { async fetch(request, env, ctx) { … } }` or `export default async ({ req, res }) => …`";
  } else {
    return `none:the default export is ${d === null ? "null" : typeof d}; want a function ({ req, res, log, error }) or an object with a fetch(request, env, ctx) method`;
  }
  // export const config = { warm: true } opts into warm reuse: requests
  // after a successful one continue from its state instead of the snapshot.
  const warm = ns.config !== null && typeof ns.config === "object" && ns.config.warm === true;
  return handlerStyle + (warm ? "+warm" : "");
}

function typeName(v) {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return v.constructor && v.constructor.name ? `a ${v.constructor.name}` : "an object";
}

async function dispatch() {
  const meta = jsonParse(host.request());
  seedRandom();
  const body = meta.hasBody ? new Uint8Array(host.requestBody()) : null;
  const headers = hostHeaders(meta.headers);
  const request = new Request(internalInit, { url: meta.url, method: meta.method, headers, body });
  let response;
  if (handlerStyle === "workers") {
    const ctx = {
      waitUntil(p) { waitUntilPromises.push(Promise.resolve(p)); },
      passThroughOnException() {},
      props: {},
    };
    response = await userHandler.fetch(request, workerEnv, ctx);
  } else {
    response = await runAppwrite(request, body);
  }
  if (!(response instanceof Response)) {
    throw new TypeError(`the fetch handler returned ${typeName(response)}, not a Response`);
  }
  await sendResponse(response);
}

async function sendResponse(r) {
  if (r.type === "error") throw new TypeError("the handler returned Response.error()");
  host.respond(r.status, jsonStringify(headerList(r.headers)));
  const st = r[bodyState];
  if (st.used) throw new TypeError("the response body was already consumed");
  st.used = true;
  if (typeof st.text === "string") {
    if (st.text.length === 0) return;
    if (st.text.indexOf("\0") < 0) host.writeText(st.text);
    else host.write(exactBuffer(utf8Encode(st.text)));
    return;
  }
  if (st.bytes) {
    if (st.bytes.length) host.write(exactBuffer(st.bytes));
    return;
  }
  if (!st.stream) return;
  const reader = st.stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const b = typeof value === "string" ? utf8Encode(value) : toBytes(value);
    if (b.length) host.write(exactBuffer(b));
  }
}

function waitUntil() {
  if (waitUntilPromises.length === 0) return undefined; // nothing to wait for: no promise, no jobs
  return Promise.allSettled(waitUntilPromises.splice(0)).then((results) => {
    for (const r of results) if (r.status === "rejected") console.error("waitUntil promise rejected:", r.reason);
  });
}

// Appwrite's function context: https://appwrite.io/docs/products/functions/develop
const appwriteResult = Symbol("appwriteResult");

async function runAppwrite(request, bodyBytes) {
  const url = new URL(request.url);
  const headers = {};
  for (const [k, v] of request.headers) headers[k] = v;
  const bodyText = bodyBytes ? utf8Decode(bodyBytes, false) : "";
  const contentType = headers["content-type"] || "";
  const req = {
    get bodyRaw() { return bodyText; },
    get bodyText() { return bodyText; },
    get bodyBinary() { return bodyBytes ? bodyBytes.slice() : new Uint8Array(0); },
    get bodyJson() { return jsonParse(bodyText); },
    get body() {
      if (contentType.startsWith("application/json")) {
        try { return bodyText ? jsonParse(bodyText) : {}; } catch { return bodyText; }
      }
      return bodyText;
    },
    headers,
    method: request.method,
    host: url.hostname,
    scheme: url.protocol.slice(0, -1),
    port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
    path: url.pathname,
    queryString: url.search.slice(1),
    query: Object.fromEntries(url.searchParams),
    url: request.url,
  };
  const result = (body, statusCode, hdrs, type) => {
    const h = new Headers(hdrs || {});
    if (type && !h.has("content-type")) h.set("content-type", type);
    return { [appwriteResult]: true, body, statusCode: statusCode === undefined ? 200 : statusCode, headers: h };
  };
  const res = {
    text(body, statusCode, hdrs) { return result(String(body ?? ""), statusCode, hdrs, "text/plain; charset=utf-8"); },
    send(body, statusCode, hdrs) { return res.text(body, statusCode, hdrs); },
    json(obj, statusCode, hdrs) { return result(jsonStringify(obj), statusCode, hdrs, "application/json"); },
    binary(bytes, statusCode, hdrs) { return result(copyBytes(bytes), statusCode, hdrs, "application/octet-stream"); },
    empty() { return result(null, 204, {}); },
    redirect(location, statusCode, hdrs) {
      const h = new Headers(hdrs || {});
      h.set("location", String(location));
      return result(null, statusCode === undefined ? 301 : statusCode, h);
    },
  };
  const log = (...a) => host.log(LOG_LOG, format(a));
  const error = (...a) => host.log(LOG_ERROR, format(a));
  const out = await userHandler({ req, res, log, error, env: workerEnv });
  if (out instanceof Response) return out;
  if (out && out[appwriteResult]) {
    const nullBody = NULL_BODY.includes(out.statusCode);
    return new Response(nullBody ? null : out.body, { status: out.statusCode, headers: out.headers, [internalInit]: true });
  }
  throw new TypeError(`the function returned ${out === undefined ? "nothing" : typeName(out)}; return res.text(…), res.json(…), res.binary(…), res.empty() or res.redirect(…)`);
}
