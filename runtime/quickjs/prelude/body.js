// Request and Response, sharing one body implementation. A body is held as
// bytes when it is known up front (the common case, cheap to hand to the
// host) and as a ReadableStream otherwise.

const bodyState = Symbol("bodyState");

function extractBody(init) {
  if (init === null || init === undefined) return { bytes: null, stream: null, type: null };
  // Text stays a string until someone needs bytes: most bodies are text
  // that goes straight back to the host.
  if (typeof init === "string") return { bytes: null, text: init, stream: null, type: "text/plain;charset=UTF-8" };
  if (init instanceof URLSearchParams) return { bytes: utf8Encode(init.toString()), stream: null, type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (init instanceof FormData) { const m = multipartEncode(init); return { bytes: m.bytes, stream: null, type: m.type }; }
  if (init instanceof Blob) return { bytes: blobBytes.get(init), stream: null, type: init.type || null };
  if (isBufferSource(init)) return { bytes: copyBytes(init), stream: null, type: null };
  if (init instanceof ReadableStream) return { bytes: null, stream: init, type: null };
  if (typeof init[Symbol.asyncIterator] === "function") return { bytes: null, stream: ReadableStream.from(init), type: null };
  return { bytes: utf8Encode(String(init)), stream: null, type: "text/plain;charset=UTF-8" };
}

async function readAllBytes(obj) {
  const st = obj[bodyState];
  if (st.used) throw new TypeError("Body has already been consumed");
  st.used = true;
  if (typeof st.text === "string") return utf8Encode(st.text);
  if (st.bytes) return st.bytes;
  if (!st.stream) return new Uint8Array(0);
  const reader = st.stream.getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(typeof value === "string" ? utf8Encode(value) : toBytes(value));
  }
  return chunks.length ? concatBytes(chunks) : new Uint8Array(0);
}

const BodyMixin = {
  get body() {
    const st = this[bodyState];
    if (!st.stream && typeof st.text === "string") st.bytes = utf8Encode(st.text), st.text = null;
    if (!st.stream && st.bytes) st.stream = bytesStream(st.bytes), st.bytes = null;
    return st.stream;
  },
  get bodyUsed() {
    const st = this[bodyState];
    return st.used || (!!st.stream && st.stream.locked && !st.bytes);
  },
  async arrayBuffer() { return (await readAllBytes(this)).slice().buffer; },
  async bytes() { return (await readAllBytes(this)).slice(); },
  async text() {
    const st = this[bodyState];
    if (!st.used && typeof st.text === "string") { st.used = true; return st.text; }
    return utf8Decode(await readAllBytes(this), false);
  },
  async json() { return jsonParse(utf8Decode(await readAllBytes(this), false)); },
  async blob() { return new Blob([await readAllBytes(this)], { type: this.headers.get("content-type") || "" }); },
  async formData() {
    const type = this.headers.get("content-type") || "";
    const bytes = await readAllBytes(this);
    if (/^multipart\/form-data/i.test(type)) return multipartParse(bytes, type);
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const fd = new FormData();
      for (const [k, v] of new URLSearchParams(utf8Decode(bytes, false))) fd.append(k, v);
      return fd;
    }
    throw new TypeError(`cannot parse a ${type || "untyped"} body as FormData`);
  },
};

function installBody(cls) {
  for (const k of Object.keys(Object.getOwnPropertyDescriptors(BodyMixin))) {
    Object.defineProperty(cls.prototype, k, Object.getOwnPropertyDescriptor(BodyMixin, k));
  }
}

function cloneBodyState(obj) {
  const st = obj[bodyState];
  if (st.used) throw new TypeError("cannot clone a consumed body");
  if (st.stream) {
    const [a, b] = st.stream.tee();
    st.stream = a;
    return { bytes: null, stream: b, used: false };
  }
  return { bytes: st.bytes, text: st.text, stream: null, used: false };
}

const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
const internalInit = Symbol("internalInit");

class Request {
  #url; #method; #headers; #signal; #redirect;
  constructor(input, init = {}) {
    if (input === internalInit) {
      // Built by dispatch from a request the host already validated.
      this.#url = init.url; this.#method = init.method; this.#headers = init.headers;
      this.#signal = null; this.#redirect = "follow";
      this[bodyState] = { bytes: init.body, stream: null, used: false };
      return;
    }
    let base = null;
    if (input instanceof Request) {
      base = input;
      this.#url = input.url;
    } else {
      try {
        this.#url = new URL(String(input)).href;
      } catch {
        throw new TypeError(`Invalid URL: ${String(input)} (fetch and Request need absolute URLs here)`);
      }
    }
    let method = init.method !== undefined ? String(init.method) : base ? base.method : "GET";
    if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
    if (!TOKEN.test(method)) throw new TypeError(`Invalid method: ${method}`);
    if (["CONNECT", "TRACE", "TRACK"].includes(method)) throw new TypeError(`Forbidden method: ${method}`);
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : base ? base.headers : undefined);
    this.#signal = init.signal || (base ? base.signal : null);
    this.#redirect = init.redirect || (base ? base.redirect : "follow");
    let st;
    if (init.body !== undefined && init.body !== null) {
      if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
      const b = extractBody(init.body);
      if (b.type && !this.#headers.has("content-type")) this.#headers.set("content-type", b.type);
      st = { bytes: b.bytes, text: b.text, stream: b.stream, used: false };
    } else if (base && init.body === undefined) {
      st = base[bodyState];
      base[bodyState] = { bytes: null, stream: null, used: true };
    } else {
      st = { bytes: null, stream: null, used: false };
    }
    this[bodyState] = st;
  }
  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get signal() {
    // Created on first use: most handlers never look at it.
    if (!this.#signal) this.#signal = new AbortController().signal;
    return this.#signal;
  }
  get redirect() { return this.#redirect; }
  get cache() { return "default"; }
  get credentials() { return "same-origin"; }
  get mode() { return "cors"; }
  get destination() { return ""; }
  get integrity() { return ""; }
  get keepalive() { return false; }
  get referrer() { return "about:client"; }
  get referrerPolicy() { return ""; }
  clone() {
    const r = new Request(internalInit, { url: this.#url, method: this.#method, headers: new Headers(this.#headers), body: null });
    r[bodyState] = cloneBodyState(this);
    return r;
  }
}
installBody(Request);
def("Request", Request);

const NULL_BODY = [101, 103, 204, 205, 304];
const REDIRECTS = [301, 302, 303, 307, 308];

class Response {
  #status; #statusText; #headers; #type = "default"; #url = ""; #redirected = false;
  constructor(body = null, init = {}) {
    init = init || {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (init[internalInit]) {
      this.#status = status;
    } else {
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Invalid status: ${init.status} (must be 200-599)`);
      this.#status = status;
    }
    this.#statusText = init.statusText === undefined ? "" : String(init.statusText);
    this.#headers = new Headers(init.headers);
    if (init[internalInit]) { this.#url = init.url || ""; }
    const b = extractBody(body);
    if ((b.bytes || b.stream || typeof b.text === "string") && NULL_BODY.includes(this.#status)) {
      throw new TypeError(`Response with status ${this.#status} cannot have a body`);
    }
    if (b.type && !this.#headers.has("content-type")) this.#headers.set("content-type", b.type);
    this[bodyState] = { bytes: b.bytes, text: b.text, stream: b.stream, used: false };
  }
  static json(data, init = {}) {
    const text = jsonStringify(data);
    if (text === undefined) throw new TypeError("Response.json: data is not JSON-serialisable");
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }
  static redirect(url, status = 302) {
    if (!REDIRECTS.includes(status)) throw new RangeError(`Invalid redirect status: ${status}`);
    const r = new Response(null, { status, headers: { location: new URL(String(url)).href } });
    r.headers[headersGuard] = true;
    return r;
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = "error";
    return r;
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get headers() { return this.#headers; }
  get type() { return this.#type; }
  get url() { return this.#url; }
  get redirected() { return this.#redirected; }
  clone() {
    const r = new Response(null, { status: this.#status, statusText: this.#statusText, headers: new Headers(this.#headers), [internalInit]: true, url: this.#url });
    r[bodyState] = cloneBodyState(this);
    return r;
  }
}
installBody(Response);
def("Response", Response);
