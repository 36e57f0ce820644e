// Streams: enough of ReadableStream, WritableStream and TransformStream for
// frameworks that stream responses (default readers, async iteration,
// pipeTo/pipeThrough, tee). Byte streams are accepted and behave as
// default streams; BYOB readers are not provided.

class ReadableStreamDefaultController {
  #s;
  constructor(s) { this.#s = s; }
  get desiredSize() { return this.#s[rsInternal].desiredSize(); }
  enqueue(chunk) { this.#s[rsInternal].enqueue(chunk); }
  close() { this.#s[rsInternal].close(); }
  error(e) { this.#s[rsInternal].error(e); }
  get byobRequest() { return null; }
}

const rsInternal = Symbol("rsInternal");

class ReadableStream {
  #state = "readable"; #queue = []; #reads = []; #closeRequested = false; #error;
  #waiters = []; #source; #controller; #started = false; #pulling = false; #pullAgain = false; #hwm; #locked = false;
  constructor(source = {}, strategy = {}) {
    this.#source = source || {};
    this.#hwm = strategy.highWaterMark ?? (this.#source.type === "bytes" ? 0 : 1);
    this.#controller = new ReadableStreamDefaultController(this);
    const self = this;
    this[rsInternal] = {
      enqueue(chunk) {
        if (self.#state !== "readable" || self.#closeRequested) throw new TypeError("ReadableStream: cannot enqueue after close");
        if (self.#reads.length) self.#reads.shift().resolve({ value: chunk, done: false });
        else self.#queue.push(chunk);
        self.#maybePull();
      },
      close() {
        if (self.#closeRequested || self.#state !== "readable") return;
        self.#closeRequested = true;
        if (!self.#queue.length) self.#finishClose();
      },
      error(e) {
        if (self.#state !== "readable") return;
        self.#state = "errored";
        self.#error = e;
        self.#queue = [];
        for (const r of self.#reads.splice(0)) r.reject(e);
        for (const w of self.#waiters.splice(0)) w.reject(e);
      },
      desiredSize() {
        if (self.#state === "errored") return null;
        if (self.#state === "closed") return 0;
        return self.#hwm - self.#queue.length;
      },
      read() { return self.#read(); },
      cancel(reason) { return self.#cancel(reason); },
      get state() { return self.#state; },
      onSettle(resolve, reject) {
        if (self.#state === "closed") resolve();
        else if (self.#state === "errored") reject(self.#error);
        else self.#waiters.push({ resolve, reject });
      },
      lock() { if (self.#locked) throw new TypeError("ReadableStream is locked"); self.#locked = true; },
      unlock() { self.#locked = false; },
    };
    let r;
    try {
      r = this.#source.start ? this.#source.start(this.#controller) : undefined;
    } catch (e) {
      this[rsInternal].error(e);
      return;
    }
    Promise.resolve(r).then(() => { this.#started = true; this.#maybePull(); }, (e) => this[rsInternal].error(e));
  }
  #finishClose() {
    this.#state = "closed";
    for (const r of this.#reads.splice(0)) r.resolve({ value: undefined, done: true });
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
  #maybePull() {
    if (!this.#started || this.#state !== "readable" || this.#closeRequested || !this.#source.pull) return;
    if (!this.#reads.length && this.#queue.length >= this.#hwm) return;
    if (this.#pulling) { this.#pullAgain = true; return; }
    this.#pulling = true;
    let r;
    try {
      r = this.#source.pull(this.#controller);
    } catch (e) {
      this[rsInternal].error(e);
      return;
    }
    Promise.resolve(r).then(() => {
      this.#pulling = false;
      if (this.#pullAgain) { this.#pullAgain = false; this.#maybePull(); }
      else if (this.#reads.length) this.#maybePull();
    }, (e) => this[rsInternal].error(e));
  }
  #read() {
    if (this.#queue.length) {
      const value = this.#queue.shift();
      if (this.#closeRequested && !this.#queue.length) this.#finishClose();
      else this.#maybePull();
      return Promise.resolve({ value, done: false });
    }
    if (this.#state === "closed") return Promise.resolve({ value: undefined, done: true });
    if (this.#state === "errored") return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#reads.push({ resolve, reject });
      this.#maybePull();
    });
  }
  #cancel(reason) {
    if (this.#state === "closed") return Promise.resolve();
    if (this.#state === "errored") return Promise.reject(this.#error);
    this.#queue = [];
    this.#finishClose();
    try {
      return Promise.resolve(this.#source.cancel ? this.#source.cancel(reason) : undefined).then(() => undefined);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  get locked() { return this.#locked; }
  cancel(reason) {
    if (this.#locked) return Promise.reject(new TypeError("ReadableStream is locked"));
    return this.#cancel(reason);
  }
  getReader(options = {}) {
    if (options.mode === "byob") throw new TypeError("BYOB readers are not supported");
    return new ReadableStreamDefaultReader(this);
  }
  async pipeTo(dest, options = {}) {
    const reader = this.getReader();
    const writer = dest.getWriter();
    try {
      for (;;) {
        if (options.signal && options.signal.aborted) throw options.signal.reason;
        const { value, done } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
      if (!options.preventClose) await writer.close();
    } catch (e) {
      if (!options.preventAbort) await writer.abort(e).catch(() => {});
      if (!options.preventCancel) await reader.cancel(e).catch(() => {});
      throw e;
    } finally {
      reader.releaseLock();
      writer.releaseLock();
    }
  }
  pipeThrough(transform, options) {
    this.pipeTo(transform.writable, options).catch(() => {});
    return transform.readable;
  }
  tee() {
    const reader = this.getReader();
    let c1, c2;
    const pull = () => reader.read().then(({ value, done }) => {
      if (done) { c1.close(); c2.close(); return; }
      c1.enqueue(value); c2.enqueue(value);
    }, (e) => { c1.error(e); c2.error(e); });
    return [new ReadableStream({ start(c) { c1 = c; }, pull }), new ReadableStream({ start(c) { c2 = c; }, pull })];
  }
  values(options = {}) {
    const reader = this.getReader();
    return {
      next() { return reader.read(); },
      async return(v) {
        if (!options.preventCancel) await reader.cancel(v);
        reader.releaseLock();
        return { value: v, done: true };
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }
  [Symbol.asyncIterator](options) { return this.values(options); }
  static from(iterable) {
    if (iterable instanceof ReadableStream) return iterable;
    const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return new ReadableStream({
      async pull(c) {
        const { value, done } = await it.next();
        if (done) c.close(); else c.enqueue(value);
      },
      async cancel(reason) { if (it.return) await it.return(reason); },
    }, { highWaterMark: 0 });
  }
}
def("ReadableStream", ReadableStream);
def("ReadableStreamDefaultController", ReadableStreamDefaultController);

class ReadableStreamDefaultReader {
  #s; #closed;
  constructor(stream) {
    stream[rsInternal].lock();
    this.#s = stream;
    this.#closed = new Promise((resolve, reject) => stream[rsInternal].onSettle(resolve, reject));
    this.#closed.catch(() => {});
  }
  get closed() { return this.#closed; }
  read() {
    if (!this.#s) return Promise.reject(new TypeError("reader released"));
    return this.#s[rsInternal].read();
  }
  cancel(reason) { return this.#s ? this.#s[rsInternal].cancel(reason) : Promise.resolve(); }
  releaseLock() {
    if (this.#s) this.#s[rsInternal].unlock();
    this.#s = null;
  }
}
def("ReadableStreamDefaultReader", ReadableStreamDefaultReader);

// bytesStream is a stream of one Uint8Array chunk.
function bytesStream(bytes) {
  return new ReadableStream({
    start(c) {
      if (bytes.length) c.enqueue(bytes);
      c.close();
    },
  });
}

class WritableStream {
  #sink; #locked = false; #state = "writable"; #chain = Promise.resolve(); #controller;
  constructor(sink = {}) {
    this.#sink = sink || {};
    this.#controller = { error: (e) => { this.#state = "errored"; this.#chain = Promise.reject(e); this.#chain.catch(() => {}); } };
    if (this.#sink.start) this.#chain = Promise.resolve(this.#sink.start(this.#controller));
  }
  get locked() { return this.#locked; }
  getWriter() {
    if (this.#locked) throw new TypeError("WritableStream is locked");
    this.#locked = true;
    const self = this;
    const enqueue = (f) => (self.#chain = self.#chain.then(f));
    let closedResolve, closedReject;
    const closed = new Promise((res, rej) => { closedResolve = res; closedReject = rej; });
    closed.catch(() => {});
    return {
      get closed() { return closed; },
      get ready() { return Promise.resolve(); },
      get desiredSize() { return 1; },
      write(chunk) {
        if (self.#state !== "writable") return Promise.reject(new TypeError("WritableStream is closed"));
        return enqueue(() => (self.#sink.write ? self.#sink.write(chunk, self.#controller) : undefined));
      },
      close() {
        self.#state = "closed";
        return enqueue(() => (self.#sink.close ? self.#sink.close() : undefined)).then(closedResolve, (e) => { closedReject(e); throw e; });
      },
      abort(reason) {
        self.#state = "errored";
        closedReject(reason);
        return Promise.resolve(self.#sink.abort ? self.#sink.abort(reason) : undefined);
      },
      releaseLock() { self.#locked = false; },
    };
  }
  close() { const w = this.getWriter(); return w.close().finally(() => w.releaseLock()); }
  abort(reason) { const w = this.getWriter(); return w.abort(reason).finally(() => w.releaseLock()); }
}
def("WritableStream", WritableStream);

class TransformStream {
  #readable; #writable;
  constructor(transformer = {}) {
    let rc;
    this.#readable = new ReadableStream({ start(c) { rc = c; } }, { highWaterMark: Infinity });
    const controller = {
      enqueue: (chunk) => rc.enqueue(chunk),
      error: (e) => rc.error(e),
      terminate: () => rc.close(),
      get desiredSize() { return rc.desiredSize; },
    };
    const start = transformer.start ? transformer.start(controller) : undefined;
    this.#writable = new WritableStream({
      start() { return start; },
      write(chunk) {
        return transformer.transform ? transformer.transform(chunk, controller) : controller.enqueue(chunk);
      },
      async close() {
        if (transformer.flush) await transformer.flush(controller);
        rc.close();
      },
      abort(reason) { rc.error(reason); },
    });
  }
  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
}
def("TransformStream", TransformStream);

class TextEncoderStream extends TransformStream {
  constructor() { super({ transform(chunk, c) { const b = utf8Encode(chunk); if (b.length) c.enqueue(b); } }); }
  get encoding() { return "utf-8"; }
}
def("TextEncoderStream", TextEncoderStream);

class TextDecoderStream extends TransformStream {
  constructor(label, options) {
    const d = new TextDecoder(label, options);
    super({
      transform(chunk, c) { const s = d.decode(chunk, { stream: true }); if (s) c.enqueue(s); },
      flush(c) { const s = d.decode(); if (s) c.enqueue(s); },
    });
  }
  get encoding() { return "utf-8"; }
}
def("TextDecoderStream", TextDecoderStream);
