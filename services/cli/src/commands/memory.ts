import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { Client } from '../client';
import { table, truncate, type Output } from '../output';

interface Hit {
  readonly id: string;
  readonly agent_id: string;
  readonly title: string;
  readonly snippet: string;
  readonly match: string;
  readonly scores: { readonly final: number };
}

interface ImportView { import_id: string; status: string; files: number; saved: number; unchanged: number; failed: number; errors: Array<{ name: string; error: string }> }

const enc = encodeURIComponent;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function memorySearch(client: Client, output: Output, options: { query: string; agent?: string; limit?: string }): Promise<void> {
  const query = new URLSearchParams({ query: options.query });
  if (options.agent) query.set('agent_id', options.agent);
  if (options.limit) query.set('limit', options.limit);
  const reply = await client.call<{ mode: string; corrections: Record<string, string[]>; note?: string; results: Hit[] }>('GET', `/v1/memory/search?${query}`);
  output.result(reply, () => {
    const lines: string[] = [];
    const corrected = Object.entries(reply.corrections);
    if (corrected.length > 0) lines.push(`Also searched: ${corrected.map(([word, options]) => `${word} → ${options.join(', ')}`).join('; ')}`);
    if (reply.note) lines.push(reply.note);
    if (reply.results.length === 0) return [...lines, 'No memories found.'].join('\n');
    lines.push(table(['SCORE', 'MATCH', 'VAULT', 'ID', 'TITLE', 'SNIPPET'], reply.results.map((h) => [
      h.scores.final.toFixed(4), h.match, h.agent_id, h.id, truncate(h.title, 40), truncate(h.snippet.replace(/\*\*/g, ''), 60),
    ])));
    return lines.join('\n');
  });
}

export async function memoryRemember(
  client: Client, output: Output, options: { agent: string; title: string; body?: string; file?: string; type?: string; tags?: string },
): Promise<void> {
  const body = options.file !== undefined ? await readFile(options.file, 'utf8') : options.body ?? '';
  const saved = await client.call<{ id: string; agent_id: string; created: boolean }>('POST', `/v1/memory/vaults/${enc(options.agent)}/memories`, {
    title: options.title, body,
    ...(options.type !== undefined ? { type: options.type } : {}),
    ...(options.tags !== undefined ? { tags: options.tags.split(',').map((t) => t.trim()).filter((t) => t !== '') } : {}),
  });
  output.result(saved, () => `${saved.created ? 'Saved' : 'Updated'} memory ${saved.id} in vault ${saved.agent_id}`);
}

/** Markdown files under a path (a file, or a folder walked recursively), named relative to it. */
async function markdownFiles(path: string): Promise<Array<{ name: string; content: string }>> {
  const info = await stat(path);
  if (info.isFile()) return [{ name: basename(path), content: await readFile(path, 'utf8') }];
  const files: Array<{ name: string; content: string }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(full);
      else if (entry.isFile() && /\.(md|markdown)$/i.test(entry.name)) files.push({ name: relative(path, full), content: await readFile(full, 'utf8') });
    }
  };
  await walk(path);
  return files;
}

/** Imports markdown files, folders of them or a zip into a vault; with `wait`, follows the job until it ends. */
export async function memoryImport(client: Client, output: Output, options: { agent: string; paths: readonly string[]; wait: boolean }): Promise<void> {
  const zips = options.paths.filter((p) => extname(p).toLowerCase() === '.zip');
  if (zips.length > 1) throw new Error('one zip per import');
  const files = (await Promise.all(options.paths.filter((p) => !zips.includes(p)).map(markdownFiles))).flat();
  const body = {
    ...(files.length > 0 ? { files } : {}),
    ...(zips[0] !== undefined ? { zip_base64: (await readFile(zips[0])).toString('base64') } : {}),
  };
  const started = await client.call<{ import_id: string; files: number }>('POST', `/v1/memory/vaults/${enc(options.agent)}/import`, body);
  if (!options.wait) {
    output.result(started, () => `Import ${started.import_id} queued: ${started.files} files into vault ${options.agent}`);
    return;
  }
  output.note(`Import ${started.import_id}: ${started.files} files`);
  for (;;) {
    const view = await client.call<ImportView>('GET', `/v1/memory/imports/${enc(started.import_id)}`);
    if (view.status === 'completed' || view.status === 'failed') {
      output.result(view, () => [
        `Import ${view.import_id} ${view.status}: ${view.saved} saved, ${view.unchanged} unchanged, ${view.failed} failed`,
        ...view.errors.map((e) => `  ${e.name}: ${e.error}`),
      ].join('\n'));
      return;
    }
    await wait(500);
  }
}

const TEXT_FORMATS = new Set(['.md', '.markdown', '.txt', '.text', '.html', '.htm']);

export async function documentsIngest(client: Client, output: Output, options: { file: string; title?: string }): Promise<void> {
  const bytes = await readFile(options.file);
  const name = basename(options.file);
  const content = TEXT_FORMATS.has(extname(name).toLowerCase()) ? { content: bytes.toString('utf8') } : { content_base64: bytes.toString('base64') };
  const doc = await client.call<{ id: string; title: string; format: string; sections: number }>('POST', '/v1/ingest/document', {
    name, ...content, ...(options.title !== undefined ? { title: options.title } : {}),
  });
  output.result(doc, () => `Ingested ${doc.id}: "${doc.title}" (${doc.format}, ${doc.sections} sections)`);
}

export async function documentsSearch(client: Client, output: Output, options: { query: string; limit?: string; document?: string }): Promise<void> {
  const query = new URLSearchParams({ query: options.query });
  if (options.limit) query.set('limit', options.limit);
  if (options.document) query.set('document_id', options.document);
  const reply = await client.call<{ results: Array<{ document_id: string; document_title: string; path: string[]; snippet: string; score: number }> }>(
    'GET', `/v1/documents/search?${query}`,
  );
  output.result(reply, () => (reply.results.length === 0 ? 'No sections found.' : table(['SCORE', 'DOCUMENT', 'SECTION', 'SNIPPET'], reply.results.map((h) => [
    h.score.toFixed(4), truncate(h.document_title, 30), truncate(h.path.join(' > '), 40), truncate(h.snippet.replace(/\*\*/g, ''), 60),
  ]))));
}
