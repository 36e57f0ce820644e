package quickjs

import (
	"strings"
	"testing"
)

// jsCheck runs assertions written in JavaScript inside a request: the
// handler returns "ok", or the first failure.
func jsCheck(t *testing.T, name, body string) {
	t.Helper()
	src := `function eq(a, b, what) { if (a !== b) throw new Error(what + ": got " + JSON.stringify(a) + ", want " + JSON.stringify(b)) }
export default { async fetch(request) {
` + body + `
  return new Response("ok");
} }`
	w := load(t, src, LoadOptions{})
	resp, stats, err := w.Fetch(t.Context(), get("http://x/"), Invocation{})
	if err != nil {
		t.Fatalf("%s: %v (logs %v)", name, err, stats.Logs)
	}
	if string(resp.Body) != "ok" {
		t.Fatalf("%s: %s", name, resp.Body)
	}
}

func TestWebAPIs(t *testing.T) {
	cases := map[string]string{
		"URL": `
  const u = new URL("HTTPS://User:Pw@Example.COM:443/a/./b/../c%20d?q=1 2#frag");
  eq(u.href, "https://User:Pw@example.com/a/c%20d?q=1%202#frag", "href");
  eq(u.protocol, "https:", "protocol"); eq(u.host, "example.com", "host"); eq(u.port, "", "port");
  eq(u.pathname, "/a/c%20d", "pathname"); eq(u.search, "?q=1%202", "search"); eq(u.hash, "#frag", "hash");
  eq(u.origin, "https://example.com", "origin"); eq(u.username, "User", "user");
  eq(new URL("../x?y", "http://h.test:8080/a/b/c").href, "http://h.test:8080/a/x?y", "relative");
  eq(new URL("//other.test/p", "https://h.test/").href, "https://other.test/p", "scheme-relative");
  eq(new URL("http://h.test").pathname, "/", "empty path");
  eq(new URL("mailto:someone@example.com").pathname, "someone@example.com", "opaque");
  eq(new URL("http://xn--nxasmq6b.test/").hostname, "xn--nxasmq6b.test", "punycode");
  eq(new URL("http://ÉXAMPLE.test/").hostname, "xn--xample-9ua.test", "idna");
  let threw = false; try { new URL("/relative") } catch (e) { threw = e instanceof TypeError } eq(threw, true, "relative without base");
  eq(URL.canParse("http://[::1]:80/"), true, "ipv6"); eq(new URL("http://[::1]:81/").host, "[::1]:81", "ipv6 host");
  u.searchParams.append("k", "v w"); eq(u.search, "?q=1+2&k=v+w", "searchParams updates URL");
  u.pathname = "/new path"; eq(u.pathname, "/new%20path", "pathname setter");
  u.hash = ""; eq(u.href, "https://User:Pw@example.com/new%20path?q=1+2&k=v+w", "hash cleared");
  const p = new URLSearchParams("a=1&b=%C3%A9&a=2&c");
  eq(p.getAll("a").join(), "1,2", "getAll"); eq(p.get("b"), "é", "decode"); eq(p.get("c"), "", "empty"); eq(p.size, 4, "size");
  p.set("a", "3"); eq(p.toString(), "a=3&b=%C3%A9&c=", "set+serialize");
  eq(new URLSearchParams({x: "1", y: "&"}).toString(), "x=1&y=%26", "record init");`,
		"TextEncoder": `
  const s = "héllo ✓ 🎉 \u0000 end";
  const b = new TextEncoder().encode(s);
  eq(b.length, 21, "utf-8 length"); eq(b[1], 0xc3, "é lead byte");
  eq(new TextDecoder().decode(b), s, "round trip");
  eq(new TextEncoder().encode("\ud800").join(), "239,191,189", "lone surrogate");
  eq(new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])), "a\ufffdb", "replacement");
  let threw = false; try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])) } catch (e) { threw = e instanceof TypeError } eq(threw, true, "fatal");
  const d = new TextDecoder(); const parts = [new Uint8Array([0xe2, 0x9c]), new Uint8Array([0x93, 0x21])];
  eq(d.decode(parts[0], { stream: true }) + d.decode(parts[1]), "✓!", "streaming split character");
  eq(new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "A", "BOM stripped");
  const into = new Uint8Array(4); const r = new TextEncoder().encodeInto("a✓b", into);
  eq(r.read + "/" + r.written, "2/4", "encodeInto");`,
		"digest": `
  const hex = (buf) => [...new Uint8Array(buf)].map(x => x.toString(16).padStart(2, "0")).join("");
  eq(hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha-256 abc");
  eq(hex(await crypto.subtle.digest({ name: "SHA-1" }, new TextEncoder().encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha-1 abc");
  eq(hex(await crypto.subtle.digest("SHA-512", new Uint8Array(0))).slice(0, 16), "cf83e1357eefb8bd", "sha-512 empty");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("The quick brown fox jumps over the lazy dog"));
  eq(hex(sig), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", "hmac-sha256");
  eq(await crypto.subtle.verify("HMAC", key, sig, new TextEncoder().encode("The quick brown fox jumps over the lazy dog")), true, "verify");
  const r = crypto.getRandomValues(new Uint32Array(8)); eq(r.some(x => x !== 0), true, "random values");
  eq(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), true, "uuid v4");`,
		"base64": `
  eq(btoa("hello"), "aGVsbG8=", "btoa"); eq(atob("aGVsbG8="), "hello", "atob"); eq(atob(" aGVs bG8 "), "hello", "whitespace");
  eq(btoa("\xff\x00"), "/wA=", "latin1"); eq(atob("/wA"), "\xff\x00", "no padding");
  let threw = ""; try { btoa("✓") } catch (e) { threw = e.name } eq(threw, "InvalidCharacterError", "btoa non-latin1");
  threw = ""; try { atob("a") } catch (e) { threw = e.name } eq(threw, "InvalidCharacterError", "atob bad");`,
		"Headers": `
  const h = new Headers({ "Content-Type": "text/html" });
  h.append("X-A", "1"); h.append("x-a", "2"); h.append("Set-Cookie", "a=1"); h.append("set-cookie", "b=2");
  eq(h.get("content-type"), "text/html", "case-insensitive get"); eq(h.get("X-a"), "1, 2", "combined");
  eq(h.has("CONTENT-TYPE"), true, "has"); eq(h.getSetCookie().join("|"), "a=1|b=2", "set-cookie");
  eq([...h.keys()].join(), "content-type,set-cookie,set-cookie,x-a", "sorted iteration");
  h.delete("X-A"); eq(h.get("x-a"), null, "delete");
  let threw = false; try { h.set("bad name", "x") } catch (e) { threw = e instanceof TypeError } eq(threw, true, "invalid name");
  eq(new Headers([["a", " padded "]]).get("a"), "padded", "value trimmed");`,
		"timers": `
  const order = [];
  await new Promise((done) => {
    setTimeout(() => order.push("t20"), 20);
    setTimeout(() => { order.push("t0a"); Promise.resolve().then(() => order.push("micro-after-t0a")) }, 0);
    setTimeout(() => order.push("t0b"), 0);
    const cancelled = setTimeout(() => order.push("cancelled"), 5); clearTimeout(cancelled);
    queueMicrotask(() => order.push("micro"));
    let n = 0; const iv = setInterval(() => { order.push("iv" + n); if (++n === 2) clearInterval(iv) }, 1);
    setTimeout(done, 40);
  });
  eq(order.slice(0, 4).join(), "micro,t0a,micro-after-t0a,t0b", "order");
  eq(order.includes("cancelled"), false, "clearTimeout");
  eq(order.filter(x => x.startsWith("iv")).join(), "iv0,iv1", "interval");
  eq(order[order.length - 1], "t20", "t20 last");
  const t0 = performance.now(); await new Promise(r => setTimeout(r, 15)); eq(performance.now() - t0 >= 14, true, "timer waits");`,
		"structuredClone": `
  const o = { d: new Date(5), m: new Map([[1, { x: [1, 2] }]]), s: new Set(["a"]), u: new Uint8Array([1, 2]) };
  o.self = o;
  const c = structuredClone(o);
  eq(c !== o && c.self === c, true, "cycle"); eq(c.d.getTime(), 5, "date"); eq(c.m.get(1).x[1], 2, "map");
  eq(c.s.has("a"), true, "set"); eq(c.u[1], 2, "typed array"); eq(c.u.buffer !== o.u.buffer, true, "copied buffer");
  let threw = ""; try { structuredClone({ f() {} }) } catch (e) { threw = e.name } eq(threw, "DataCloneError", "function");`,
		"bodies": `
  const blob = new Blob(["ab", new Uint8Array([99])], { type: "Text/Plain" });
  eq(blob.size, 3, "blob size"); eq(blob.type, "text/plain", "blob type"); eq(await blob.slice(1).text(), "bc", "slice");
  const fd = new FormData(); fd.append("name", "kiln"); fd.append("file", new Blob(["data"]), "a.txt");
  const req = new Request("http://x/upload", { method: "post", body: fd });
  eq(req.method, "POST", "method normalised");
  const back = await req.formData();
  eq(back.get("name"), "kiln", "form field"); eq(await back.get("file").text(), "data", "form file"); eq(back.get("file").name, "a.txt", "file name");
  const r = new Response("body"); const r2 = r.clone();
  eq(await r.text(), "body", "original"); eq(await r2.text(), "body", "clone"); eq(r.bodyUsed, true, "used");
  let threw = false; try { await r.text() } catch (e) { threw = e instanceof TypeError } eq(threw, true, "double read");
  const params = await new Request("http://x/", { method: "POST", body: new URLSearchParams("a=1") }).formData();
  eq(params.get("a"), "1", "urlencoded form");
  eq((await new Response(new ReadableStream({ start(c) { c.enqueue("s1"); c.enqueue(new Uint8Array([50])); c.close() } })).text()), "s12", "stream body");
  const ts = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()) } });
  const w = ts.writable.getWriter(); w.write("abc"); w.close();
  const rd = ts.readable.getReader(); eq((await rd.read()).value, "ABC", "transform");
  threw = false; try { new Response("x", { status: 204 }) } catch (e) { threw = e instanceof TypeError } eq(threw, true, "null body status");
  eq(Response.redirect("http://x/y", 307).headers.get("location"), "http://x/y", "redirect");`,
		"abort": `
  const ac = new AbortController(); let fired = 0;
  ac.signal.addEventListener("abort", () => fired++); ac.signal.onabort = () => fired++;
  ac.abort(); ac.abort();
  eq(fired, 2, "abort fired once per listener"); eq(ac.signal.reason.name, "AbortError", "reason");
  let threw = ""; try { ac.signal.throwIfAborted() } catch (e) { threw = e.name } eq(threw, "AbortError", "throwIfAborted");
  const t = AbortSignal.timeout(5); await new Promise(r => t.addEventListener("abort", r));
  eq(t.reason.name, "TimeoutError", "timeout");`,
		"misc": `
  eq(typeof globalThis.self, "object", "self"); eq(typeof navigator.userAgent, "string", "navigator");
  eq(typeof process.env, "object", "process.env");
  const s = "a\u0000b"; const r = new Response(s); eq(await r.text(), s, "NUL survives bodies");
  eq(new TextDecoder().decode(new TextEncoder().encode(s)), s, "NUL round trip");`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) { jsCheck(t, name, body) })
	}
}

func TestProcessEnvAppwrite(t *testing.T) {
	w := load(t, `export default async ({ res }) => res.text(process.env.SECRET + "/" + Object.keys(process.env).length)`,
		LoadOptions{Env: map[string]string{"SECRET": "s3"}})
	if got := body(t, w, get("http://x/")); got != "s3/1" {
		t.Fatal(got)
	}
}

func TestBinaryBodies(t *testing.T) {
	w := load(t, `export default { async fetch(req) {
  const b = new Uint8Array(await req.arrayBuffer());
  const out = b.map(x => 255 - x);
  return new Response(out, { headers: { "content-type": "application/octet-stream" } });
} }`, LoadOptions{})
	in := make([]byte, 256)
	for i := range in {
		in[i] = byte(i)
	}
	resp, _ := do(t, w, post("http://x/", "application/octet-stream", string(in)))
	if len(resp.Body) != 256 {
		t.Fatalf("len %d", len(resp.Body))
	}
	for i, b := range resp.Body {
		if b != byte(255-i) {
			t.Fatalf("byte %d = %d", i, b)
		}
	}
	if strings.Contains(resp.Header.Get("content-type"), "text") {
		t.Fatal(resp.Header)
	}
}

func TestTextResponseBytes(t *testing.T) {
	w := load(t, `export default { fetch(req) {
  const p = new URL(req.url).pathname;
  if (p === "/nul") return new Response("a\u0000b🎉");
  if (p === "/lone") return new Response("x\ud800y");
  return new Response("plain é");
} }`, LoadOptions{})
	for path, want := range map[string]string{"/nul": "a\x00b🎉", "/lone": "x\uFFFDy", "/": "plain é"} {
		if got := body(t, w, get("http://x"+path)); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
