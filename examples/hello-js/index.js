// hello-js is a Kiln function in the Workers style: the default export's
// fetch gets a standard Request and returns a Response.
//
//	kiln deploy examples/hello-js
//	curl 'http://127.0.0.1:8080/fn/default/hello-js/?name=Kiln'
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/") {
      const name = url.searchParams.get("name") || "world";
      console.log("greeting", name);
      return new Response(`Hello, ${name}!\n`, {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (request.method === "POST" && url.pathname === "/echo") {
      let body;
      try {
        body = await request.json();
      } catch (err) {
        return new Response(`send JSON: ${err.message}\n`, { status: 400 });
      }
      // Function variables and Appwrite's APPWRITE_* come in env.
      return Response.json({ echo: body, function: env.APPWRITE_FUNCTION_ID });
    }
    return new Response("not found\n", { status: 404 });
  },
};
