// Kiln's Web API prelude. The files of this folder are concatenated in name
// order into the body of `(function (host) { … })`, evaluated once per
// engine before any user code; zz_internals.js returns what Go calls.
// `host` holds the Go host functions (hostfuncs.go).
"use strict";
const G = globalThis;

function def(name, value) {
  Object.defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });
}

// The prelude's own JSON plumbing (errors, headers, requests) keeps working
// when a script replaces JSON.stringify or JSON.parse.
const jsonStringify = JSON.stringify, jsonParse = JSON.parse;

const LOG_DEBUG = 0, LOG_INFO = 1, LOG_LOG = 2, LOG_WARN = 3, LOG_ERROR = 4;

function utf8Encode(s) {
  s = String(s);
  if (s.length === 0) return new Uint8Array(0);
  return new Uint8Array(s.indexOf("\0") < 0 ? host.encode(s) : host.encodeJSON(jsonStringify(s)));
}

function utf8Decode(bytes, fatal) {
  if (bytes.byteLength === 0) return "";
  return host.decode(exactBuffer(bytes), fatal ? 1 : 0);
}

// exactBuffer returns an ArrayBuffer holding exactly the bytes of view.
function exactBuffer(view) {
  if (view instanceof ArrayBuffer) return view;
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer) return view.buffer;
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

function isBufferSource(x) {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x) ||
    (typeof SharedArrayBuffer !== "undefined" && x instanceof SharedArrayBuffer);
}

// toBytes views a BufferSource as a Uint8Array without copying.
function toBytes(x) {
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (isBufferSource(x)) return new Uint8Array(x);
  throw new TypeError("expected an ArrayBuffer or an ArrayBufferView");
}

function copyBytes(x) {
  return toBytes(x).slice();
}

function concatBytes(chunks) {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  return out;
}

// reportError logs an exception nobody caught (a timer callback, a
// microtask), as a browser would print it.
function reportError(e) {
  host.log(LOG_ERROR, "Uncaught " + inspect(e));
}
def("reportError", reportError);

// Host functions throw plain Errors; these rethrow the ones Go marks as a
// TypeError or a DOMException name as the proper JavaScript type.
function rethrowTyped(fn) {
  return function () {
    try {
      return fn.apply(undefined, arguments);
    } catch (e) {
      if (e && e.name === "TypeError" && !(e instanceof TypeError)) throw new TypeError(e.message);
      const m = e && typeof e.message === "string" ? /^(NotSupportedError|QuotaExceededError|InvalidAccessError): (.*)$/s.exec(e.message) : null;
      if (m) throw new DOMException(m[2], m[1]);
      throw e;
    }
  };
}
host = Object.assign({}, host);
for (const k of ["parseURL", "decode", "fetch", "respond", "digest", "hmac", "randomBytes"]) host[k] = rethrowTyped(host[k]);
