// hono-api is an unmodified Hono app: Hono's app object is itself a
// Workers-style default export (it has fetch), so Kiln runs it as is.
// Only package.json and package-lock.json are deployed; Kiln installs
// hono with `npm ci --ignore-scripts` and bundles it with esbuild.
//
//	kiln deploy examples/hono-api
//	curl http://127.0.0.1:8080/fn/default/hono-api/api/books
import { Hono } from "hono";

type Book = { id: number; title: string; author: string };

const books: Book[] = [
  { id: 1, title: "The Left Hand of Darkness", author: "Ursula K. Le Guin" },
  { id: 2, title: "Kindred", author: "Octavia E. Butler" },
];

const app = new Hono();

// A middleware that runs around every route.
app.use("*", async (c, next) => {
  const started = Date.now();
  await next();
  c.header("X-Powered-By", "Hono on Kiln");
  c.header("X-Response-Time", `${Date.now() - started}ms`);
});

app.get("/", (c) => c.text("Hono on Kiln\n"));

app.get("/api/books", (c) => c.json(books));

app.get("/api/books/:id", (c) => {
  const book = books.find((b) => b.id === Number(c.req.param("id")));
  return book ? c.json(book) : c.json({ error: "no such book" }, 404);
});

app.post("/api/books", async (c) => {
  const body = await c.req.json<Partial<Book>>();
  if (!body.title || !body.author) {
    return c.json({ error: "title and author are required" }, 400);
  }
  const book = { id: books.length + 1, title: body.title, author: body.author };
  return c.json(book, 201);
});

app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

export default app;
