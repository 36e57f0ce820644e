// structuredClone: the structured clone algorithm for the types a worker
// can hold (no transfer: buffers are copied).

function structuredCloneImpl(v, seen) {
  if (typeof v !== "object" || v === null) {
    if (typeof v === "function") throw new DOMException(`${v.name || "function"} could not be cloned.`, "DataCloneError");
    if (typeof v === "symbol") throw new DOMException("Symbol could not be cloned.", "DataCloneError");
    return v;
  }
  if (seen.has(v)) return seen.get(v);
  let out;
  if (v instanceof Date) out = new Date(v.getTime());
  else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
  else if (v instanceof ArrayBuffer) out = v.slice(0);
  else if (ArrayBuffer.isView(v)) {
    const buf = structuredCloneImpl(v.buffer, seen);
    out = v instanceof DataView ? new DataView(buf, v.byteOffset, v.byteLength) : new v.constructor(buf, v.byteOffset, v.length);
  } else if (v instanceof Map) {
    out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(structuredCloneImpl(k, seen), structuredCloneImpl(x, seen));
    return out;
  } else if (v instanceof Set) {
    out = new Set();
    seen.set(v, out);
    for (const x of v) out.add(structuredCloneImpl(x, seen));
    return out;
  } else if (v instanceof Blob) out = v.slice(0, v.size, v.type);
  else if (v instanceof Error) {
    const C = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[v.name] || Error;
    out = new C(v.message);
    if (v.stack !== undefined) out.stack = v.stack;
  } else if (v instanceof Boolean || v instanceof Number || v instanceof String) out = Object(v.valueOf());
  else if (Array.isArray(v)) {
    out = new Array(v.length);
    seen.set(v, out);
    for (const k of Object.keys(v)) out[k] = structuredCloneImpl(v[k], seen);
    return out;
  } else if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || v instanceof ReadableStream) {
    throw new DOMException(`${v.constructor.name} object could not be cloned.`, "DataCloneError");
  } else {
    out = {};
    seen.set(v, out);
    for (const k of Object.keys(v)) out[k] = structuredCloneImpl(v[k], seen);
    return out;
  }
  seen.set(v, out);
  return out;
}

def("structuredClone", function structuredClone(value, options) {
  if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required");
  return structuredCloneImpl(value, new Map());
});
