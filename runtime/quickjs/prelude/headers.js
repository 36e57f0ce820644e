// Headers: names are case-insensitive and kept lower-case; iteration is
// sorted by name with values combined by ", ", except set-cookie.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function headerName(n) {
  n = String(n);
  if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
  return n.toLowerCase();
}

function headerValue(v) {
  v = String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  if (/[\0\r\n]/.test(v)) throw new TypeError(`Invalid header value: "${v}"`);
  return v;
}

const headersGuard = Symbol("headersGuard");

// hostHeaders builds the Headers of an incoming request from the host's
// [name, value] pairs, which net/http has already parsed and validated:
// checking every name and value again is most of what a request costs in
// the interpreter.
let hostHeaders;

class Headers {
  #store = null; // the Map of lower-case name → values, made on first use
  #raw = null; // the host's pairs, put in #store when first needed
  get #m() {
    let m = this.#store;
    if (m === null) {
      m = this.#store = new Map();
      const raw = this.#raw;
      if (raw !== null) {
        this.#raw = null;
        for (const [k, v] of raw) {
          const name = k.toLowerCase();
          const vs = m.get(name);
          if (vs) vs.push(v); else m.set(name, [v]);
        }
      }
    }
    return m;
  }
  static {
    // A handler that never looks at the request's headers never pays
    // for them.
    hostHeaders = (pairs) => {
      const h = new Headers();
      h.#raw = pairs;
      return h;
    };
  }
  constructor(init) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [k, vs] of init.#m) this.#m.set(k, vs.slice());
    } else if (typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(p[0], p[1]);
      }
    } else if (typeof init === "object") {
      for (const k of Object.keys(init)) this.append(k, init[k]);
    } else {
      throw new TypeError("Headers: init must be an object, an iterable of pairs or a Headers");
    }
  }
  #check() { if (this[headersGuard]) throw new TypeError("Headers are immutable"); }
  append(name, value) {
    this.#check();
    name = headerName(name); value = headerValue(value);
    const vs = this.#m.get(name);
    if (vs) vs.push(value); else this.#m.set(name, [value]);
  }
  delete(name) { this.#check(); this.#m.delete(headerName(name)); }
  get(name) {
    const vs = this.#m.get(headerName(name));
    return vs ? vs.join(", ") : null;
  }
  getSetCookie() { return (this.#m.get("set-cookie") || []).slice(); }
  has(name) { return this.#m.has(headerName(name)); }
  set(name, value) { this.#check(); this.#m.set(headerName(name), [headerValue(value)]); }
  forEach(cb, thisArg) { for (const [k, v] of this) cb.call(thisArg, v, k, this); }
  *entries() {
    for (const k of [...this.#m.keys()].sort()) {
      const vs = this.#m.get(k);
      if (!vs) continue;
      if (k === "set-cookie") for (const v of vs) yield [k, v];
      else yield [k, vs.join(", ")];
    }
  }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
}
def("Headers", Headers);

// headerList returns [name, value] pairs for the host, one per value.
function headerList(h) {
  const out = [];
  for (const [k, v] of h) out.push([k, v]);
  return out;
}
