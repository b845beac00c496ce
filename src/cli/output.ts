/** Terminal output for the command line: colour only on a terminal, and only when allowed. */
const useColour = process.stdout.isTTY && !process.env.NO_COLOR;

const paint = (code: number) => (text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);

export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

export function println(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function eprintln(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** A JSON value, shortened to fit on a line. */
export function brief(value: unknown, max = 160): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Columns padded to their widest cell: the first left-aligned, the others (numbers) right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  println(line(header));
  for (const row of rows) println(line(row));
}
