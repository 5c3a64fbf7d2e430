import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import PDFDocument from 'pdfkit';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { memoryService } from '@cadre/memory';
import { setupAdmin } from '../support/auth';
import { startSystem, type System } from '../support/system';

// `cadre memory search|remember|import` and `cadre documents ingest|search` against a running
// system: what they send is what the API takes, what they print is what it answered.

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'services', 'cli', 'bin', 'cadre.cjs');

function pdf(): Promise<Buffer> {
  const doc = new PDFDocument();
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.outline.addItem('Escalation');
  doc.fontSize(16).text('Escalation');
  doc.fontSize(11).text('Escalate to the duty manager after thirty minutes.');
  doc.end();
  return done;
}

describe('the cadre CLI for memory and documents', () => {
  let system: System;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cadre = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
      .catch((error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }));
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cadre(...args, '--json');
    if (result.code !== 0) throw new Error(`cadre ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry: checkRegistry([identityService, memoryService]) });
    const token = (await setupAdmin(system.baseUrl)).access_token;
    dir = await mkdtemp(join(tmpdir(), 'cadre-memory-cli-'));
    const { CADRE_CONFIG: _config, ...rest } = process.env;
    env = { ...rest, CADRE_URL: system.baseUrl, CADRE_TOKEN: token, CADRE_CONFIG: join(dir, 'none.json') };
  });
  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('remembers, imports a folder and a zip, and searches', async () => {
    const saved = await json<{ id: string; created: boolean }>('memory', 'remember', '--agent', 'eric', '--title', 'Pager rotation',
      '--body', 'The pager rotates every Monday at noon.', '--type', 'fact', '--tags', 'oncall,pager');
    expect(saved.created).toBe(true);

    await mkdir(join(dir, 'vault', 'deep'), { recursive: true });
    await writeFile(join(dir, 'vault', 'a.md'), '# Cache warmup\n\nWarm the cache before the pager hands over.');
    await writeFile(join(dir, 'vault', 'deep', 'b.md'), '---\ntitle: Database failover\ntype: decision\n---\nFail over only with the pager holder.');
    await writeFile(join(dir, 'vault', 'ignored.txt'), 'not markdown');
    const folder = await json<{ status: string; saved: number }>('memory', 'import', '--agent', 'eric', join(dir, 'vault'), '--wait');
    expect(folder).toMatchObject({ status: 'completed', saved: 2 });
    await writeFile(join(dir, 'notes.zip'), zipSync({ 'z/one.md': strToU8('# Zipped\n\nA pager note from a zip.') }));
    const zipped = await json<{ status: string; saved: number }>('memory', 'import', '--agent', 'eric', join(dir, 'notes.zip'), '--wait');
    expect(zipped).toMatchObject({ status: 'completed', saved: 1 });

    const found = await json<{ results: Array<{ title: string }> }>('memory', 'search', 'pager', '--agent', 'eric', '--limit', '10');
    expect(found.results.map((h) => h.title).sort()).toEqual(['Cache warmup', 'Database failover', 'Pager rotation', 'Zipped']);
    const readable = await cadre('memory', 'search', 'pagr', 'rotaton', '--agent', 'eric');
    expect(readable.code).toBe(0);
    expect(readable.stdout).toContain('Also searched: pagr → pager');
    expect(readable.stdout).toMatch(/^SCORE\s+MATCH\s+VAULT\s+ID\s+TITLE/m);
    expect(readable.stdout).toContain('Pager rotation');
    expect((await cadre('memory', 'remember', '--agent', 'eric')).code).toBe(2);
  });

  it('ingests a markdown file and a PDF and searches their sections', async () => {
    await writeFile(join(dir, 'guide.md'), '# Guide\n\n## Escalation\n\nCall the duty manager.\n\n## Handover\n\nWrite the shift notes.');
    await writeFile(join(dir, 'policy.pdf'), await pdf());
    const md = await json<{ format: string; sections: number }>('documents', 'ingest', join(dir, 'guide.md'));
    expect(md).toMatchObject({ format: 'markdown', sections: 3 });
    const readable = await cadre('documents', 'ingest', join(dir, 'policy.pdf'), '--title', 'Escalation policy');
    expect(readable.stdout).toMatch(/Ingested .*: "Escalation policy" \(pdf, 1 sections\)/);
    const hits = await json<{ results: Array<{ document_title: string; path: string[] }> }>('documents', 'search', 'duty manager');
    expect(hits.results.map((h) => [h.document_title, h.path.join(' > ')]).sort()).toEqual([['Escalation policy', 'Escalation'], ['Guide', 'Guide > Escalation']]);
  });
});
