// DOMException, Event, EventTarget, AbortController and AbortSignal.

class DOMException extends Error {
  #name;
  constructor(message = "", name = "Error") {
    super(message);
    this.#name = String(name);
  }
  get name() { return this.#name; }
  get code() {
    const codes = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
      InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
      QuotaExceededError: 22, TimeoutError: 23, DataCloneError: 25, InvalidCharacterError: 5 };
    return codes[this.#name] || 0;
  }
}
def("DOMException", DOMException);

class Event {
  #stop = false;
  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event: type is required");
    this.type = String(type);
    this.bubbles = !!init.bubbles;
    this.cancelable = !!init.cancelable;
    this.composed = !!init.composed;
    this.defaultPrevented = false;
    this.timeStamp = host.now();
    this.target = null;
    this.currentTarget = null;
  }
  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this.#stop = true; }
  get immediateStopped() { return this.#stop; }
}
def("Event", Event);

class CustomEvent extends Event {
  constructor(type, init = {}) { super(type, init); this.detail = init.detail ?? null; }
}
def("CustomEvent", CustomEvent);

class EventTarget {
  #listeners = new Map();
  addEventListener(type, cb, opts) {
    if (cb === null || cb === undefined) return;
    const once = typeof opts === "object" && opts !== null && !!opts.once;
    const signal = typeof opts === "object" && opts !== null ? opts.signal : undefined;
    if (signal && signal.aborted) return;
    const list = this.#listeners.get(type) || [];
    if (list.some((l) => l.cb === cb)) return;
    const l = { cb, once };
    list.push(l);
    this.#listeners.set(type, list);
    if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, cb));
  }
  removeEventListener(type, cb) {
    const list = this.#listeners.get(type);
    if (!list) return;
    const i = list.findIndex((l) => l.cb === cb);
    if (i >= 0) list.splice(i, 1);
  }
  dispatchEvent(ev) {
    ev.target = this;
    ev.currentTarget = this;
    const handler = this["on" + ev.type];
    const list = (this.#listeners.get(ev.type) || []).slice();
    if (typeof handler === "function") list.unshift({ cb: handler, once: false });
    for (const l of list) {
      if (l.once) this.removeEventListener(ev.type, l.cb);
      try {
        if (typeof l.cb === "function") l.cb.call(this, ev);
        else if (l.cb && typeof l.cb.handleEvent === "function") l.cb.handleEvent(ev);
      } catch (e) {
        reportError(e);
      }
      if (ev.immediateStopped) break;
    }
    ev.currentTarget = null;
    return !ev.defaultPrevented;
  }
}
def("EventTarget", EventTarget);

const signalToken = Symbol("signalToken");

class AbortSignal extends EventTarget {
  #aborted = false; #reason = undefined;
  constructor(token) {
    if (token !== signalToken) throw new TypeError("Illegal constructor");
    super();
    this.onabort = null;
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  static abort(reason) {
    const s = new AbortSignal(signalToken);
    s.#abort(reason);
    return s;
  }
  static timeout(ms) {
    const s = new AbortSignal(signalToken);
    setTimeout(() => s.#abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
    return s;
  }
  static any(signals) {
    const s = new AbortSignal(signalToken);
    for (const o of signals) {
      if (o.aborted) { s.#abort(o.reason); return s; }
    }
    for (const o of signals) o.addEventListener("abort", () => s.#abort(o.reason), { once: true });
    return s;
  }
  #abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    this.dispatchEvent(new Event("abort"));
  }
  static [Symbol.for("kiln.abort")](s, reason) { s.#abort(reason); }
}
def("AbortSignal", AbortSignal);

class AbortController {
  #signal = new AbortSignal(signalToken);
  get signal() { return this.#signal; }
  abort(reason) { AbortSignal[Symbol.for("kiln.abort")](this.#signal, reason); }
}
def("AbortController", AbortController);
