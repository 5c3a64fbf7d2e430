/** Titles named by `[[wiki-links]]` in a body (`[[Title]]`, `[[Title|shown text]]`, `[[Title#heading]]`), once each, in order. */
export function wikiLinks(body: string): string[] {
  const seen = new Set<string>();
  for (const match of body.matchAll(/\[\[([^[\]|#\n]{1,300})(?:[#|][^[\]\n]*)?\]\]/g)) {
    const title = match[1]!.trim();
    if (title !== '') seen.add(title);
  }
  return [...seen];
}
