export interface Team {
  slug: string;
  name: string;
  members: { name: string; role: string }[];
  tasks: { title: string; done: boolean }[];
}

export const teams: Team[] = [
  {
    slug: "kiln",
    name: "Kiln & Co",
    members: [
      { name: "Ada", role: "runtime" },
      { name: "Grace", role: "builder" },
      { name: "Linus", role: "gateway" },
    ],
    tasks: [
      { title: "fuel metering", done: true },
      { title: "JavaScript functions", done: false },
      { title: "sites", done: false },
    ],
  },
  {
    slug: "pottery",
    name: "Pottery Club",
    members: [{ name: "Bernard", role: "glazes" }],
    tasks: [{ title: "fire the kiln", done: false }],
  },
];
