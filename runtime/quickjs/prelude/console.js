// console: every method formats like Node's util.format and sends one line
// with its level to the host, which keeps it in the invocation's logs.

function inspect(v, depth = 2, seen = []) {
  switch (typeof v) {
    case "string": return seen.length ? jsonStringify(v) : v;
    case "number": return Object.is(v, -0) ? "-0" : String(v);
    case "bigint": return v + "n";
    case "undefined": return "undefined";
    case "boolean": return String(v);
    case "symbol": return v.toString();
    case "function": return `[Function: ${v.name || "(anonymous)"}]`;
  }
  if (v === null) return "null";
  if (seen.includes(v)) return "[Circular]";
  if (v instanceof Error) {
    const s = v.stack ? `${v.name}: ${v.message}\n${String(v.stack).replace(/\n$/, "")}` : `${v.name}: ${v.message}`;
    return seen.length ? `[${v.name}: ${v.message}]` : s;
  }
  if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (typeof v.then === "function" && v instanceof Promise) return "Promise { <pending> }";
  if (depth < 0) return Array.isArray(v) ? "[Array]" : "[Object]";
  const next = seen.concat([v]);
  const item = (x) => inspect(x, depth - 1, next);
  if (Array.isArray(v)) {
    const parts = v.slice(0, 100).map(item);
    if (v.length > 100) parts.push(`... ${v.length - 100} more items`);
    return parts.length ? `[ ${parts.join(", ")} ]` : "[]";
  }
  if (ArrayBuffer.isView(v)) {
    const a = Array.from(v.length !== undefined ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).slice(0, 50);
    return `${v.constructor.name}(${v.length ?? v.byteLength}) [ ${a.join(", ")}${v.length > 50 ? ", ..." : ""} ]`;
  }
  if (v instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${v.byteLength} }`;
  if (v instanceof Map) return `Map(${v.size}) { ${[...v].map(([k, x]) => `${item(k)} => ${item(x)}`).join(", ")} }`;
  if (v instanceof Set) return `Set(${v.size}) { ${[...v].map(item).join(", ")} }`;
  if (v instanceof URL || v instanceof URLSearchParams) return `${v.constructor.name} ${jsonStringify(String(v))}`;
  if (v instanceof Headers) return `Headers { ${[...v].map(([k, x]) => `${jsonStringify(k)}: ${jsonStringify(x)}`).join(", ")} }`;
  const keys = Object.keys(v);
  const name = v.constructor && v.constructor !== Object && v.constructor.name ? v.constructor.name + " " : "";
  if (!keys.length) return name + "{}";
  const key = (k) => /^[A-Za-z_$][\w$]*$/.test(k) ? k : jsonStringify(k);
  return `${name}{ ${keys.slice(0, 100).map((k) => `${key(k)}: ${item(v[k])}`).join(", ")} }`;
}

function format(args) {
  if (args.length === 0) return "";
  let out = "";
  let i = 0;
  if (typeof args[0] === "string" && args[0].includes("%")) {
    const f = args[0];
    i = 1;
    for (let j = 0; j < f.length; j++) {
      const c = f[j];
      if (c !== "%" || j + 1 >= f.length) { out += c; continue; }
      const n = f[++j];
      if (n === "%") { out += "%"; continue; }
      if (!"sdifjoOc".includes(n) || i >= args.length) { out += "%" + n; continue; }
      const a = args[i++];
      switch (n) {
        case "s": out += typeof a === "string" ? a : inspect(a, 1, [{}]); break;
        case "d": case "i": out += typeof a === "bigint" ? a + "n" : String(n === "i" ? Math.trunc(Number(a)) : Number(a)); break;
        case "f": out += String(parseFloat(a)); break;
        case "j": try { out += jsonStringify(a); } catch { out += "[Circular]"; } break;
        case "o": case "O": out += inspect(a, 4, [{}]); break;
        case "c": break;
      }
    }
  }
  for (; i < args.length; i++) {
    if (out.length || i > 0) out += " ";
    out += inspect(args[i]);
  }
  return out;
}

const consoleState = { indent: "", counts: new Map(), timers: new Map() };
function emit(level, args) {
  let line = format(args);
  if (consoleState.indent) line = consoleState.indent + line.replace(/\n/g, "\n" + consoleState.indent);
  host.log(level, line);
}

const console = {
  log(...a) { emit(LOG_LOG, a); },
  info(...a) { emit(LOG_INFO, a); },
  debug(...a) { emit(LOG_DEBUG, a); },
  warn(...a) { emit(LOG_WARN, a); },
  error(...a) { emit(LOG_ERROR, a); },
  trace(...a) {
    const stack = String(new Error().stack || "").split("\n").slice(1).join("\n");
    emit(LOG_ERROR, ["Trace" + (a.length ? ": " + format(a) : "") + "\n" + stack]);
  },
  assert(cond, ...a) { if (!cond) emit(LOG_ERROR, ["Assertion failed" + (a.length ? ": " + format(a) : "")]); },
  dir(v) { emit(LOG_LOG, [inspect(v)]); },
  dirxml(...a) { emit(LOG_LOG, a); },
  table(v) { emit(LOG_LOG, [inspect(v)]); },
  group(...a) { if (a.length) emit(LOG_LOG, a); consoleState.indent += "  "; },
  groupCollapsed(...a) { console.group(...a); },
  groupEnd() { consoleState.indent = consoleState.indent.slice(2); },
  count(label = "default") {
    const n = (consoleState.counts.get(label) || 0) + 1;
    consoleState.counts.set(label, n);
    emit(LOG_INFO, [`${label}: ${n}`]);
  },
  countReset(label = "default") { consoleState.counts.delete(label); },
  time(label = "default") { consoleState.timers.set(label, host.now()); },
  timeLog(label = "default", ...a) {
    const t = consoleState.timers.get(label);
    if (t !== undefined) emit(LOG_INFO, [`${label}: ${(host.now() - t).toFixed(3)}ms`, ...a]);
  },
  timeEnd(label = "default") { console.timeLog(label); consoleState.timers.delete(label); },
};
def("console", console);
