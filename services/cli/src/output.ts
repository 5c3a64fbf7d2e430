/** Where a command writes: readable text for people, or JSON (`--json`) for scripts. */
export interface Output {
  readonly json: boolean;
  /** One result: JSON as is, or the readable text `render` makes of it. */
  result(value: unknown, render: () => string): void;
  /** One item of a stream: a JSON line, or its readable line. */
  line(value: unknown, render: () => string): void;
  /** Progress and notices: stderr, so stdout stays the data. */
  note(text: string): void;
}

export function createOutput(json: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result: (value, render) => void out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${render()}\n`),
    line: (value, render) => void out.write(json ? `${JSON.stringify(value)}\n` : `${render()}\n`),
    note: (text) => void err.write(`${text}\n`),
  };
}

/** A plain table: a header row, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [format(headers), ...rows.map(format)].join('\n');
}

/** `2026-11-23T10:00:00.000Z` → `2026-11-23 10:00:00`. */
export function shortTime(iso: unknown): string {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
