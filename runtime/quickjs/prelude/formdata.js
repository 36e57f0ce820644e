// FormData, and its multipart/form-data encoding and parsing.

function formValue(value, filename) {
  if (value instanceof Blob) {
    if (!(value instanceof File) || filename !== undefined) {
      return new File([value], filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob", { type: value.type });
    }
    return value;
  }
  return String(value);
}

class FormData {
  #list = [];
  constructor(form) {
    if (form !== undefined) throw new TypeError("FormData: form elements do not exist here");
  }
  append(name, value, filename) { this.#list.push([String(name), formValue(value, filename)]); }
  delete(name) { name = String(name); this.#list = this.#list.filter(([k]) => k !== name); }
  get(name) { name = String(name); const e = this.#list.find(([k]) => k === name); return e ? e[1] : null; }
  getAll(name) { name = String(name); return this.#list.filter(([k]) => k === name).map(([, v]) => v); }
  has(name) { name = String(name); return this.#list.some(([k]) => k === name); }
  set(name, value, filename) {
    name = String(name);
    const v = formValue(value, filename);
    const i = this.#list.findIndex(([k]) => k === name);
    if (i < 0) this.#list.push([name, v]);
    else { this.#list[i][1] = v; this.#list = this.#list.filter(([k], j) => j <= i || k !== name); }
  }
  forEach(cb, thisArg) { for (const [k, v] of this.#list) cb.call(thisArg, v, k, this); }
  *keys() { for (const [k] of this.#list) yield k; }
  *values() { for (const [, v] of this.#list) yield v; }
  *entries() { for (const [k, v] of this.#list) yield [k, v]; }
  [Symbol.iterator]() { return this.entries(); }
}
def("FormData", FormData);

function multipartEncode(fd) {
  const rnd = new Uint8Array(host.randomBytes(12));
  const boundary = "----KilnFormBoundary" + bytesToBase64(rnd).replace(/[+/=]/g, "x");
  const esc = (s) => s.replace(/\r\n|\r|\n/g, "\r\n").replace(/"/g, "%22").replace(/\r\n/g, "%0D%0A");
  const chunks = [];
  for (const [name, value] of fd) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${esc(name)}"`;
    if (typeof value === "string") {
      chunks.push(utf8Encode(head + "\r\n\r\n" + value.replace(/\r\n|\r|\n/g, "\r\n") + "\r\n"));
    } else {
      head += `; filename="${esc(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      chunks.push(utf8Encode(head), blobBytes.get(value), utf8Encode("\r\n"));
    }
  }
  chunks.push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concatBytes(chunks), type: "multipart/form-data; boundary=" + boundary };
}

function indexOfBytes(hay, needle, from) {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function multipartParse(bytes, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new TypeError("multipart body without a boundary");
  const delim = utf8Encode("--" + (m[1] || m[2]).trim());
  const fd = new FormData();
  let pos = indexOfBytes(bytes, delim, 0);
  if (pos < 0) throw new TypeError("malformed multipart body");
  for (;;) {
    pos += delim.length;
    if (bytes[pos] === 0x2d && bytes[pos + 1] === 0x2d) break;
    pos += 2; // CRLF after the delimiter
    const headEnd = indexOfBytes(bytes, utf8Encode("\r\n\r\n"), pos);
    if (headEnd < 0) throw new TypeError("malformed multipart body");
    const head = utf8Decode(bytes.subarray(pos, headEnd), false);
    const next = indexOfBytes(bytes, delim, headEnd + 4);
    if (next < 0) throw new TypeError("malformed multipart body");
    const body = bytes.subarray(headEnd + 4, next - 2);
    const disp = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(head);
    const file = /content-disposition:[^\r\n]*?\bfilename="([^"]*)"/i.exec(head);
    const type = /content-type:\s*([^\r\n]*)/i.exec(head);
    if (disp) {
      if (file) fd.append(disp[1], new File([body.slice()], file[1], { type: type ? type[1].trim() : "" }));
      else fd.append(disp[1], utf8Decode(body, false));
    }
    pos = next;
  }
  return fd;
}
