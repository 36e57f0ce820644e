export interface Greeting {
  name: string;
  text: string;
  length: number;
}

export function greeting(name: string): Greeting {
  const text = `Hello, ${name}!`;
  return { name, text, length: text.length };
}
