// URL (parsed by Go, url.go, following the WHATWG URL standard) and
// URLSearchParams (application/x-www-form-urlencoded, in JavaScript).

function parseURLParts(url, base) {
  return jsonParse(base === undefined ? host.parseURL(String(url)) : host.parseURL(String(url), String(base)));
}

const urlSetSearch = Symbol("urlSetSearch");

class URL {
  #p; #params = null;
  constructor(url, base) {
    this.#p = parseURLParts(url, base);
  }
  static canParse(url, base) {
    try { parseURLParts(url, base); return true; } catch { return false; }
  }
  static parse(url, base) {
    try { return new URL(url, base); } catch { return null; }
  }
  #tail() { return this.#p.pathname + this.#p.search + this.#p.hash; }
  #head() { return this.#p.href.slice(0, this.#p.href.length - this.#tail().length); }
  #reparse(href) {
    try { this.#p = parseURLParts(href); } catch { return; }
    if (this.#params) this.#params[urlSetSearch](this.#p.search);
  }
  get href() { return this.#p.href; }
  set href(v) { this.#p = parseURLParts(v); if (this.#params) this.#params[urlSetSearch](this.#p.search); }
  get origin() { return this.#p.origin; }
  get protocol() { return this.#p.protocol; }
  set protocol(v) {
    v = String(v).replace(/:.*$/, "");
    this.#reparse(v + ":" + this.#p.href.slice(this.#p.protocol.length));
  }
  get username() { return this.#p.username; }
  set username(v) { this.#setAuthority(String(v), this.#p.password, this.#p.host); }
  get password() { return this.#p.password; }
  set password(v) { this.#setAuthority(this.#p.username, String(v), this.#p.host); }
  get host() { return this.#p.host; }
  set host(v) { this.#setAuthority(this.#p.username, this.#p.password, String(v)); }
  get hostname() { return this.#p.hostname; }
  set hostname(v) { this.#setAuthority(this.#p.username, this.#p.password, String(v) + (this.#p.port ? ":" + this.#p.port : "")); }
  get port() { return this.#p.port; }
  set port(v) { v = String(v); this.#setAuthority(this.#p.username, this.#p.password, this.#p.hostname + (v ? ":" + v : "")); }
  #setAuthority(user, pass, host) {
    const info = user || pass ? user + (pass ? ":" + pass : "") + "@" : "";
    this.#reparse(this.#p.protocol + "//" + info + host + this.#tail());
  }
  get pathname() { return this.#p.pathname; }
  set pathname(v) {
    v = String(v);
    if (this.#p.host !== "" && !v.startsWith("/")) v = "/" + v;
    this.#reparse(this.#head() + v.replace(/[?#]/g, (c) => (c === "?" ? "%3F" : "%23")) + this.#p.search + this.#p.hash);
  }
  get search() { return this.#p.search; }
  set search(v) {
    v = String(v);
    if (v !== "" && v[0] !== "?") v = "?" + v;
    this.#reparse(this.#head() + this.#p.pathname + (v === "?" ? "" : v.replace(/#/g, "%23")) + this.#p.hash);
  }
  get searchParams() {
    if (!this.#params) {
      this.#params = new URLSearchParams(this.#p.search);
      linkParams(this.#params, (s) => { this.search = s; });
    }
    return this.#params;
  }
  get hash() { return this.#p.hash; }
  set hash(v) {
    v = String(v);
    if (v !== "" && v[0] !== "#") v = "#" + v;
    this.#reparse(this.#head() + this.#p.pathname + this.#p.search + (v === "#" ? "" : v));
  }
  toString() { return this.#p.href; }
  toJSON() { return this.#p.href; }
}
def("URL", URL);

function formDecode(s) {
  s = s.replace(/\+/g, " ");
  if (!s.includes("%")) return s;
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && /^[0-9A-Fa-f]{2}$/.test(s.substr(i + 1, 2))) {
      bytes.push(parseInt(s.substr(i + 1, 2), 16));
      i += 2;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      // Re-encode the non-ASCII code point so the byte sequence stays UTF-8.
      const cp = s.codePointAt(i);
      if (cp > 0xffff) i++;
      for (const b of utf8Encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  return utf8Decode(new Uint8Array(bytes), false);
}

function formEncode(s) {
  const bytes = utf8Encode(s);
  let out = "";
  for (const b of bytes) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += "+";
    } else {
      out += "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
    }
  }
  return out;
}

const paramsLinks = new WeakMap();
function linkParams(params, update) { paramsLinks.set(params, update); }

class URLSearchParams {
  #list = [];
  constructor(init = "") {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (typeof init === "object" && init !== null && typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
        this.#list.push([String(p[0]), String(p[1])]);
      }
    } else if (typeof init === "object" && init !== null) {
      for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    } else {
      this.#parse(String(init));
    }
  }
  #parse(s) {
    if (s.startsWith("?")) s = s.slice(1);
    this.#list = [];
    for (const part of s.split("&")) {
      if (part === "") continue;
      const i = part.indexOf("=");
      this.#list.push(i < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
    }
  }
  [urlSetSearch](s) { this.#parse(s); }
  #update() {
    const u = paramsLinks.get(this);
    if (u) u(this.toString());
  }
  get size() { return this.#list.length; }
  append(name, value) { this.#list.push([String(name), String(value)]); this.#update(); }
  delete(name, value) {
    name = String(name);
    this.#list = this.#list.filter(([k, v]) => k !== name || (value !== undefined && v !== String(value)));
    this.#update();
  }
  get(name) { name = String(name); const e = this.#list.find(([k]) => k === name); return e ? e[1] : null; }
  getAll(name) { name = String(name); return this.#list.filter(([k]) => k === name).map(([, v]) => v); }
  has(name, value) {
    name = String(name);
    return this.#list.some(([k, v]) => k === name && (value === undefined || v === String(value)));
  }
  set(name, value) {
    name = String(name); value = String(value);
    const i = this.#list.findIndex(([k]) => k === name);
    if (i < 0) this.#list.push([name, value]);
    else {
      this.#list[i][1] = value;
      this.#list = this.#list.filter(([k], j) => j <= i || k !== name);
    }
    this.#update();
  }
  sort() {
    this.#list = this.#list.map((e, i) => [e, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e);
    this.#update();
  }
  forEach(cb, thisArg) { for (const [k, v] of this.#list) cb.call(thisArg, v, k, this); }
  *keys() { for (const [k] of this.#list) yield k; }
  *values() { for (const [, v] of this.#list) yield v; }
  *entries() { for (const [k, v] of this.#list) yield [k, v]; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
}
def("URLSearchParams", URLSearchParams);
