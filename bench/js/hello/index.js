// The hello every runtime in bench/js/run.sh serves: workerd and deno load
// this file as is, Kiln deploys the folder as a js function.
export default {
  fetch(request) {
    const name = new URL(request.url).searchParams.get("name") || "world";
    return new Response(`Hello, ${name}!\n`, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
