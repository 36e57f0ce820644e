// ssr-react renders a small React app to HTML on every request with
// react-dom/server's renderToString. React comes from npm through
// package-lock.json; Kiln installs and bundles it at deploy time.
//
//	kiln deploy examples/ssr-react
//	curl 'http://127.0.0.1:8080/fn/default/ssr-react/?team=kiln'
import { renderToString } from "react-dom/server";
import { App } from "./App";
import { teams } from "./data";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const team = teams.find((t) => t.slug === (url.searchParams.get("team") ?? teams[0].slug));
    if (!team) {
      return new Response("no such team\n", { status: 404 });
    }
    const html = "<!doctype html>" + renderToString(<App team={team} renderedAt={new Date()} />);
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
