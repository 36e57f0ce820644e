// Small globals libraries probe for.

def("self", G);
def("navigator", { userAgent: "Kiln", language: "en-US", languages: ["en-US"], hardwareConcurrency: 1 });
const timeOrigin = Date.now();
def("performance", {
  now() { return host.now(); },
  get timeOrigin() { return timeOrigin; },
  mark() {}, measure() {}, clearMarks() {}, clearMeasures() {},
  toJSON() { return { timeOrigin }; },
});
const processEnv = {};
def("process", {
  env: processEnv,
  version: "",
  versions: {},
  platform: "kiln",
  argv: [],
  cwd() { return "/"; },
  nextTick(fn, ...args) { queueMicrotask(() => fn(...args)); },
  emitWarning(w) { console.warn(String(w)); },
});
