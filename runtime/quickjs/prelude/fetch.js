// fetch(): the request goes to Go (Invocation.Fetch, the egress policy);
// the response comes back through fetchSettle when Go's event loop sees
// it complete, so several fetches and timers can overlap.

const pendingFetches = new Map();

async function fetch(input, init) {
  const req = new Request(input, init);
  if (req.signal.aborted) throw req.signal.reason;
  const st = req[bodyState];
  const body = st.bytes || st.stream || typeof st.text === "string" ? await readAllBytes(req) : null;
  const id = host.fetch(
    jsonStringify({ method: req.method, url: req.url, headers: headerList(req.headers) }),
    body ? exactBuffer(body) : undefined,
  );
  return new Promise((resolve, reject) => {
    const onAbort = () => { pendingFetches.delete(id); reject(req.signal.reason); };
    req.signal.addEventListener("abort", onAbort, { once: true });
    pendingFetches.set(id, {
      resolve(r) { req.signal.removeEventListener("abort", onAbort); resolve(r); },
      reject(e) { req.signal.removeEventListener("abort", onAbort); reject(e); },
    });
  });
}
def("fetch", fetch);

function fetchSettle(id) {
  const meta = jsonParse(host.fetchResult(id));
  const buf = host.fetchBody(id);
  const p = pendingFetches.get(id);
  if (!p) return;
  pendingFetches.delete(id);
  if (meta.error !== undefined) {
    p.reject(new TypeError("fetch failed: " + meta.error));
    return;
  }
  const body = buf && !NULL_BODY.includes(meta.status) ? new Uint8Array(buf) : null;
  p.resolve(new Response(body, { status: meta.status, statusText: meta.statusText, headers: meta.headers, url: meta.url, [internalInit]: true }));
}
