import type { Team } from "./data";

function Member({ name, role }: { name: string; role: string }) {
  return (
    <li>
      <strong>{name}</strong> <em>{role}</em>
    </li>
  );
}

export function App({ team, renderedAt }: { team: Team; renderedAt: Date }) {
  const open = team.tasks.filter((t) => !t.done).length;
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <title>{team.name}</title>
      </head>
      <body>
        <h1>{team.name}</h1>
        <p>
          {team.members.length} members, {open} open tasks
        </p>
        <ul>
          {team.members.map((m) => (
            <Member key={m.name} {...m} />
          ))}
        </ul>
        <footer>Rendered on Kiln at {renderedAt.toISOString()}</footer>
      </body>
    </html>
  );
}
