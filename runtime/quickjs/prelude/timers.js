// Timers run from the host's event loop (loop.go): after the promise jobs
// drain, Go calls runTimer, which runs the one earliest due timer, so
// microtasks queued by a timer run before the next timer, as in browsers.
// Times come from host.now(), a monotonic clock in milliseconds.

const timerQueue = [];
const timerById = new Map();
let timerSeq = 0;

function insertTimer(t) {
  let i = timerQueue.length;
  while (i > 0 && (timerQueue[i - 1].due > t.due || (timerQueue[i - 1].due === t.due && timerQueue[i - 1].seq > t.seq))) i--;
  timerQueue.splice(i, 0, t);
}

function addTimer(fn, ms, args, repeat) {
  if (typeof fn !== "function") throw new TypeError("timer callback must be a function");
  ms = Math.max(0, Number(ms) || 0);
  const t = { id: ++timerSeq, seq: timerSeq, fn, args, ms, repeat, due: host.now() + ms };
  timerById.set(t.id, t);
  insertTimer(t);
  return t.id;
}

function clearTimer(id) {
  const t = timerById.get(Number(id));
  if (!t) return;
  timerById.delete(t.id);
  const i = timerQueue.indexOf(t);
  if (i >= 0) timerQueue.splice(i, 1);
}

def("setTimeout", function setTimeout(fn, ms, ...args) { return addTimer(fn, ms, args, false); });
def("setInterval", function setInterval(fn, ms, ...args) { return addTimer(fn, ms, args, true); });
def("clearTimeout", function clearTimeout(id) { clearTimer(id); });
def("clearInterval", function clearInterval(id) { clearTimer(id); });
def("setImmediate", function setImmediate(fn, ...args) { return addTimer(fn, 0, args, false); });
def("clearImmediate", function clearImmediate(id) { clearTimer(id); });
if (typeof G.queueMicrotask !== "function") {
  def("queueMicrotask", function queueMicrotask(fn) {
    if (typeof fn !== "function") throw new TypeError("queueMicrotask needs a function");
    Promise.resolve().then(() => fn()).catch(reportError);
  });
}

// runTimer: -1 when no timer is left, 0 after running one, else the
// milliseconds until the next is due.
function runTimer() {
  if (timerQueue.length === 0) return -1;
  const t = timerQueue[0];
  const now = host.now();
  if (t.due > now) return Math.max(t.due - now, 0.001);
  timerQueue.shift();
  if (t.repeat) {
    t.due = now + Math.max(t.ms, 1);
    t.seq = ++timerSeq;
    insertTimer(t);
  } else {
    timerById.delete(t.id);
  }
  try {
    t.fn.apply(undefined, t.args);
  } catch (e) {
    reportError(e);
  }
  return 0;
}
