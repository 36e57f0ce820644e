// hello-ts is a Kiln function in Appwrite's style, in TypeScript: the
// default export gets { req, res, log, error } and returns res.text(…),
// res.json(…) and friends. esbuild strips the types at deploy time.
//
//	kiln deploy examples/hello-ts
//	curl 'http://127.0.0.1:8080/fn/default/hello-ts/?name=Kiln'
import { greeting, type Greeting } from "./greeting";

interface Context {
  req: {
    method: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    bodyJson: unknown;
  };
  res: {
    text(body: string, status?: number, headers?: Record<string, string>): unknown;
    json(body: unknown, status?: number, headers?: Record<string, string>): unknown;
  };
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export default async ({ req, res, log }: Context) => {
  const name = req.query.name ?? "world";
  switch (`${req.method} ${req.path}`) {
    case "GET /":
      log(`greeting ${name}`);
      return res.text(greeting(name).text + "\n");
    case "GET /json": {
      const g: Greeting = greeting(name);
      return res.json(g);
    }
  }
  return res.json({ error: `no route for ${req.method} ${req.path}` }, 404);
};
