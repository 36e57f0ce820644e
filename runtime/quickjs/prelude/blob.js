// Blob and File: immutable bytes with a MIME type.

const blobBytes = new WeakMap();

class Blob {
  #type;
  constructor(parts = [], options = {}) {
    const chunks = [];
    for (const p of parts) {
      if (p instanceof Blob) chunks.push(blobBytes.get(p));
      else if (isBufferSource(p)) chunks.push(copyBytes(p));
      else chunks.push(utf8Encode(p));
    }
    blobBytes.set(this, chunks.length ? concatBytes(chunks).slice() : new Uint8Array(0));
    const t = options.type === undefined ? "" : String(options.type);
    this.#type = /[^\x20-\x7e]/.test(t) ? "" : t.toLowerCase();
  }
  get size() { return blobBytes.get(this).length; }
  get type() { return this.#type; }
  async arrayBuffer() { return blobBytes.get(this).slice().buffer; }
  async bytes() { return blobBytes.get(this).slice(); }
  async text() { return utf8Decode(blobBytes.get(this), false); }
  slice(start = 0, end = this.size, type = "") {
    const b = blobBytes.get(this);
    const rel = (x) => (x < 0 ? Math.max(b.length + x, 0) : Math.min(x, b.length));
    const out = new Blob([], { type });
    blobBytes.set(out, b.slice(rel(start), Math.max(rel(start), rel(end))));
    return out;
  }
  stream() { return bytesStream(blobBytes.get(this)); }
  get [Symbol.toStringTag]() { return "Blob"; }
}
def("Blob", Blob);

class File extends Blob {
  #name; #lastModified;
  constructor(parts, name, options = {}) {
    super(parts, options);
    this.#name = String(name);
    this.#lastModified = options.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get [Symbol.toStringTag]() { return "File"; }
}
def("File", File);
