// TextEncoder/TextDecoder (UTF-8, through Go) and atob/btoa.

class TextEncoder {
  get encoding() { return "utf-8"; }
  encode(input = "") { return utf8Encode(input); }
  encodeInto(input, dest) {
    const bytes = utf8Encode(input);
    let n = Math.min(bytes.length, dest.length);
    // Never split a character: back off to a lead byte boundary.
    if (n < bytes.length) while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
    dest.set(bytes.subarray(0, n));
    let read = 0;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if ((b & 0xc0) !== 0x80) read += b >= 0xf0 ? 2 : 1;
    }
    return { read, written: n };
  }
}
def("TextEncoder", TextEncoder);

const UTF8_LABELS = ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"];

class TextDecoder {
  #fatal; #ignoreBOM; #pending = null; #started = false;
  constructor(label = "utf-8", options = {}) {
    if (!UTF8_LABELS.includes(String(label).trim().toLowerCase())) {
      throw new RangeError(`The encoding label provided ('${label}') is not supported; Kiln decodes utf-8 only`);
    }
    this.#fatal = !!options.fatal;
    this.#ignoreBOM = !!options.ignoreBOM;
  }
  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input, options = {}) {
    let bytes = input === undefined ? new Uint8Array(0) : toBytes(input);
    if (this.#pending) {
      bytes = concatBytes([this.#pending, bytes]);
      this.#pending = null;
    }
    if (options.stream) {
      // Hold back an incomplete trailing sequence for the next call.
      let i = bytes.length - 1, k = 0;
      while (i >= 0 && k < 3 && (bytes[i] & 0xc0) === 0x80) { i--; k++; }
      if (i >= 0) {
        const b = bytes[i];
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (need > bytes.length - i) {
          this.#pending = bytes.slice(i);
          bytes = bytes.subarray(0, i);
        }
      }
    }
    let s = utf8Decode(bytes, this.#fatal);
    if (!this.#started && !this.#ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    this.#started = !!options.stream && (this.#started || s.length > 0);
    return s;
  }
}
def("TextDecoder", TextDecoder);

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function bytesToBase64(b) {
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < b.length) {
    const n = (b[i] << 16) | ((b[i + 1] || 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : "=") + "=";
  }
  return out;
}

function base64ToBytes(s) {
  s = String(s).replace(/[\t\n\f\r ]/g, "");
  if (s.length % 4 === 0) s = s.replace(/==?$/, "");
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
    throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  }
  const out = new Uint8Array(Math.floor(s.length * 3 / 4));
  let acc = 0, bits = 0, j = 0;
  for (let i = 0; i < s.length; i++) {
    acc = (acc << 6) | B64_INDEX[s.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

def("btoa", function btoa(data) {
  data = String(data);
  const b = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c > 255) throw new DOMException("The string to be encoded contains characters outside of the Latin1 range.", "InvalidCharacterError");
    b[i] = c;
  }
  return bytesToBase64(b);
});

def("atob", function atob(data) {
  const b = base64ToBytes(data);
  let out = "";
  for (let i = 0; i < b.length; i += 4096) out += String.fromCharCode.apply(null, b.subarray(i, i + 4096));
  return out;
});
