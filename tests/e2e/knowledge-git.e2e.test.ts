import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { knowledgeService } from '@cadre/knowledge';
import { projectsService } from '@cadre/projects';
import type { ProjectView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { GO_INTERFACES, writeFiles } from '../../services/knowledge/src/test-support/repo';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { openStream, type SseStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

// Projects whose repository is a git URL: a `git daemon` of the test serves repositories it made;
// the service clones one into its workspace, fetches it again on the next index (parsing only
// the file a new commit changed), never fetches its submodules, stops a clone that hangs at
// its time limit, and names a URL's credentials nowhere (events, job errors, logs). A Go module
// cloned so shows its implicit interfaces' implementers.

interface ErrorBody { error: string; code: string }
interface Job { job_id: string; status: string; counts: Record<string, number>; errors: string[] }
interface Row { rows: Record<string, unknown>[] }

const CLONE_TIMEOUT_MS = 1_500;
const SECRET = 's3cr3t-t0ken';

const freePort = (): Promise<number> => new Promise((done, fail) => {
  const server = createServer();
  server.once('error', fail);
  server.listen(0, '127.0.0.1', () => { const { port } = server.address() as AddressInfo; server.close(() => done(port)); });
});
const listening = (server: Server | HttpServer): Promise<number> =>
  new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)));
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'protocol.allow=always', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('knowledge: a repository named by a git URL', () => {
  let system: System;
  let token: string;
  let base: string;
  let workspace: string;
  let daemon: ChildProcess | undefined;
  let daemonPort: number;
  let stream: SseStream;
  const logs: string[] = [];
  // A server that takes connections and never answers: a clone of it hangs until its time limit.
  const silentSockets = new Set<Socket>();
  const silent = createServer((socket) => { silentSockets.add(socket); socket.on('close', () => silentSockets.delete(socket)); });
  // A smart-HTTP remote (git http-backend behind Basic auth) that records the credentials it is asked with.
  const authorizations: string[] = [];
  const httpRemote = createHttpServer((request, response) => {
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="shop"' }).end();
      return;
    }
    authorizations.push(authorization);
    if (authorization !== `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`) {
      response.writeHead(403).end('no');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://remote');
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH, GIT_PROJECT_ROOT: base, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'alice',
        REQUEST_METHOD: request.method, PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers['content-type'] ?? '', ...(request.headers['content-length'] ? { CONTENT_LENGTH: request.headers['content-length'] } : {}),
      },
    });
    request.pipe(backend.stdin);
    // A CGI answer: headers (a `Status:` among them), a blank line, the body.
    let head = Buffer.alloc(0);
    let sent = false;
    backend.stdout.on('data', (chunk: Buffer) => {
      if (sent) { response.write(chunk); return; }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = Object.fromEntries(head.subarray(0, end).toString().split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const { status, ...rest } = headers;
      response.writeHead(Number((status ?? '200').split(' ')[0]), rest);
      response.write(head.subarray(end + 4));
      sent = true;
    });
    backend.stdout.on('end', () => response.end());
  });
  const stopDaemon = (): void => {
    // The daemon serves each connection in a child: its whole process group goes.
    if (daemon?.pid !== undefined && daemon.exitCode === null) {
      try { process.kill(-daemon.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  };

  const api = <T = unknown>(method: string, path: string, body?: unknown) =>
    call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });
  const project = async (name: string, repository: string): Promise<ProjectView> => {
    const created = await api<ProjectView>('POST', '/v1/projects', { name, repository });
    expect(created.status).toBe(201);
    return created.body;
  };
  const finished = async (projectId: string, force = false): Promise<Job> => {
    const started = await api<{ job_id: string }>('POST', `/v1/projects/${projectId}/knowledge-graph/index`, { force });
    expect(started.status).toBe(202);
    let job: Job | undefined;
    await eventually(async () => {
      job = (await api<Job>('GET', `/v1/projects/${projectId}/knowledge-graph/index/${started.body.job_id}`)).body;
      expect(['complete', 'failed']).toContain(job.status);
    }, 60_000);
    return job!;
  };
  const names = async (projectId: string): Promise<string[]> => {
    const reply = await api<Row>('POST', `/v1/projects/${projectId}/knowledge-graph/cypher`, { query: 'MATCH (f:File)-[:DEFINES]->(s) RETURN s.qualified_name AS name ORDER BY name' });
    expect(reply.status).toBe(200);
    return reply.body.rows.map((row) => row.name as string);
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cadre-kg-remote-'));
    workspace = mkdtempSync(join(tmpdir(), 'cadre-kg-workspace-'));
    // The library a submodule points at, and the shop: TypeScript and Python.
    writeFiles(join(base, 'lib'), { 'lib.py': 'def vendored_library():\n    return 1\n' });
    git(join(base, 'lib'), 'init', '-q', '-b', 'main');
    git(join(base, 'lib'), 'add', '-A');
    git(join(base, 'lib'), 'commit', '-q', '-m', 'lib');
    writeFiles(join(base, 'shop'), {
      'ts/src/calc.ts': 'export function add(a: number, b: number): number { return a + b; }\n',
      'ts/src/main.ts': "import { add } from './calc';\nexport function main(): number { return add(1, 2); }\n",
      'py/shop/cart.py': 'class Cart:\n    def total(self):\n        return 0\n',
      'py/app.py': 'from shop.cart import Cart\n\n\ndef checkout():\n    return Cart().total()\n',
    });
    git(join(base, 'shop'), 'init', '-q', '-b', 'main');
    writeFiles(join(base, 'kv'), GO_INTERFACES);
    git(join(base, 'kv'), 'init', '-q', '-b', 'main');
    git(join(base, 'kv'), 'add', '-A');
    git(join(base, 'kv'), 'commit', '-q', '-m', 'kv');

    daemonPort = await freePort();
    daemon = spawn('git', ['daemon', '--export-all', `--base-path=${base}`, `--port=${daemonPort}`, '--listen=127.0.0.1', '--reuseaddr', base], { detached: true, stdio: 'ignore' });
    process.once('exit', stopDaemon);
    await eventually(() => { git(base, 'ls-remote', `git://127.0.0.1:${daemonPort}/lib`); }, 15_000);
    // A submodule served by the daemon too: were it fetched, its function would be in the graph.
    git(join(base, 'shop'), 'submodule', 'add', '-q', `git://127.0.0.1:${daemonPort}/lib`, 'vendor-lib');
    git(join(base, 'shop'), 'add', '-A');
    git(join(base, 'shop'), 'commit', '-q', '-m', 'shop');

    system = await startSystem({
      transport: 'embedded', registry: checkRegistry([identityService, projectsService, knowledgeService]),
      logSink: (line) => logs.push(line),
      env: {
        KNOWLEDGE_WORKSPACE: workspace, KNOWLEDGE_REPOSITORY_ROOTS: base,
        KNOWLEDGE_CLONE_TIMEOUT_MS: String(CLONE_TIMEOUT_MS), KNOWLEDGE_INDEX_ATTEMPTS: '1',
      },
    });
    token = (await setupAdmin(system.baseUrl)).access_token;
    stream = await openStream(system.baseUrl, { token });
  });
  afterAll(async () => {
    stream?.close();
    await system?.stop();
    stopDaemon();
    process.removeListener('exit', stopDaemon);
    for (const socket of silentSockets) socket.destroy();
    if (silent.listening) await new Promise((done) => silent.close(done));
    if (httpRemote.listening) await new Promise((done) => httpRemote.close(done));
    for (const dir of [base, workspace]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('clones the repository into the workspace, without its submodules, and fetches it again on the next index', async () => {
    const shop = await project('Shop', `git://127.0.0.1:${daemonPort}/shop`);
    const first = await finished(shop.id);
    expect([first.status, first.errors]).toEqual(['complete', []]);
    expect(first.counts).toMatchObject({ files_total: 4, files_parsed: 4 });
    expect(await names(shop.id)).toEqual(['Cart', 'Cart.total', 'add', 'checkout', 'main']);
    const clone = join(workspace, shop.id);
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(git(join(base, 'shop'), 'rev-parse', 'HEAD'));
    // The submodule's folder is there, empty: never fetched.
    expect(readdirSync(join(clone, 'vendor-lib'))).toEqual([]);
    expect(existsSync(join(clone, '.git', 'modules'))).toBe(false);

    // A new commit upstream changes one file: the next index fetches it and parses that file alone.
    writeFiles(join(base, 'shop'), {
      'ts/src/calc.ts': 'export function add(a: number, b: number): number { return a + b; }\nexport function times(a: number, b: number): number { return a * b; }\n',
    });
    git(join(base, 'shop'), 'commit', '-qam', 'times');
    const second = await finished(shop.id);
    expect(second.status).toBe('complete');
    expect(second.counts).toMatchObject({ files_total: 4, files_parsed: 1, files_reused: 3 });
    expect(await names(shop.id)).toEqual(['Cart', 'Cart.total', 'add', 'checkout', 'main', 'times']);
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(git(join(base, 'shop'), 'rev-parse', 'HEAD'));
    expect(readdirSync(join(clone, 'vendor-lib'))).toEqual([]);

    // A clone left broken (a replica killed while cloning) is cloned again: nothing to parse anew.
    rmSync(join(clone, '.git', 'objects'), { recursive: true, force: true });
    const third = await finished(shop.id);
    expect([third.status, third.errors]).toEqual(['complete', []]);
    expect(third.counts).toMatchObject({ files_total: 4, files_parsed: 0, files_reused: 4 });
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(git(join(base, 'shop'), 'rev-parse', 'HEAD'));
  });

  it('draws the implicit interfaces of a cloned Go module: implementers in context, and in impact', async () => {
    const kv = await project('KV', `git://127.0.0.1:${daemonPort}/kv`);
    expect((await finished(kv.id)).status).toBe('complete');
    interface Related { qualified_name: string; file: string; confidence: number; reason: string }
    const context = await api<{ implemented_by: Related[] }>('GET', `/v1/projects/${kv.id}/knowledge-graph/context/Reader`);
    expect(context.status).toBe(200);
    expect(context.body.implemented_by.map((s) => `${s.file}#${s.qualified_name} ${s.confidence} ${s.reason}`).sort()).toEqual([
      'kv/disk/disk.go#Disk 0.8 method-set', 'kv/disk/disk.go#Level 0.8 method-set', 'kv/disk/disk.go#Partial 0.8 method-set', 'kv/store/memory.go#Memory 0.8 method-set',
    ]);
    const impact = await api<{ by_depth: { depth: number; symbols: Related[] }[] }>('POST', `/v1/projects/${kv.id}/knowledge-graph/impact`, { target: 'Store', max_depth: 1 });
    expect(impact.body.by_depth.map((level) => level.symbols.map((s) => s.qualified_name).sort())).toEqual([['Disk', 'Memory']]);
    const query = await api<Row>('POST', `/v1/projects/${kv.id}/knowledge-graph/cypher`, {
      query: "MATCH (t)-[r:IMPLEMENTS]->(i:Interface {name: 'Syncer'}) RETURN t.name AS type, r.reason AS reason" });
    expect(query.body.rows).toEqual([{ type: 'Disk', reason: 'method-set' }]);
  });

  it('fails a clone that hangs at its time limit, and one of an unreachable host, with a clear error', async () => {
    const hanging = await project('Hangs', `git://127.0.0.1:${await listening(silent)}/shop`);
    const began = Date.now();
    const job = await finished(hanging.id);
    expect(job.status).toBe('failed');
    expect(job.errors.join('\n')).toContain(`git clone of git://127.0.0.1:${(silent.address() as AddressInfo).port}/shop timed out after ${CLONE_TIMEOUT_MS} ms`);
    expect(Date.now() - began).toBeLessThan(30_000);
    // Nothing half-cloned is left behind for the next attempt.
    expect(existsSync(join(workspace, hanging.id))).toBe(false);

    const closed = await project('Closed', `git://127.0.0.1:${await freePort()}/shop`);
    const refused = await finished(closed.id);
    expect(refused.status).toBe('failed');
    expect(refused.errors.join('\n')).toMatch(/git clone of git:\/\/127\.0\.0\.1:\d+\/shop failed: .*(unable to connect|Connection refused)/s);
  });

  it('refuses a file:// URL outside the allowed folders and any transport but https, http, ssh and git', async () => {
    const outside = await project('Outside', 'file:///etc');
    const refused = await api<ErrorBody>('POST', `/v1/projects/${outside.id}/knowledge-graph/index`);
    expect([refused.status, refused.body.code]).toEqual([422, 'repository_unavailable']);
    const marker = join(workspace, 'ext-ran');
    // The projects service takes no such URL; the knowledge service clones none either (repository.unit.test.ts).
    const ext = await api<ErrorBody>('POST', '/v1/projects', { name: 'Ext', repository: `ext::sh -c touch% ${marker}` });
    expect(ext.status).toBe(400);
    expect(existsSync(marker)).toBe(false);
  });

  it('clones and fetches with the credentials of an http URL, and names them nowhere: events, job errors, logs, the clone', async () => {
    const port = await listening(httpRemote);
    const secret = await project('Secret', `http://alice:${SECRET}@127.0.0.1:${port}/shop`);
    const job = await finished(secret.id);
    expect([job.status, job.errors]).toEqual(['complete', []]);
    // The remote was asked with the project's credentials (read from the project: the job's events hold them masked).
    expect(authorizations).toContain(`Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`);
    expect(await names(secret.id)).toEqual(['Cart', 'Cart.total', 'add', 'checkout', 'main', 'times']);
    const clone = join(workspace, secret.id);
    expect(git(clone, 'remote', 'get-url', 'origin').trim()).toBe(`http://***@127.0.0.1:${port}/shop`);
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).not.toContain(SECRET);
    // The next index fetches with them too.
    authorizations.length = 0;
    expect((await finished(secret.id)).counts).toMatchObject({ files_parsed: 0, files_reused: 4 });
    expect(authorizations.length).toBeGreaterThan(0);

    // Wrong credentials: the job fails, naming the URL masked.
    const wrong = await project('Wrong', `http://alice:not-${SECRET}@127.0.0.1:${port}/shop`);
    const refused = await finished(wrong.id);
    expect(refused.status).toBe('failed');
    expect(refused.errors.join('\n')).toMatch(new RegExp(`git clone of http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/shop failed: .*403`, 's'));

    await eventually(() => expect(stream.events.some((event) => event.event === 'code_graph_index_failed' && event.data.includes(wrong.id))).toBe(true));
    const started = stream.events.find((event) => event.event === 'code_graph_index_started' && event.data.includes(secret.id))!;
    expect((JSON.parse(started.data) as { data: { repository: string } }).data.repository).toBe(`http://***@127.0.0.1:${port}/shop`);
    const status = await api('GET', `/v1/projects/${secret.id}/knowledge-graph/status`);
    expect(logs.some((line) => line.includes('index job failed') && line.includes(wrong.id))).toBe(true);
    // (The project's own events hold its URL as given: the project is where it is kept, for its owner.)
    const knowledgeEvents = stream.events.filter((event) => event.event.startsWith('code_graph_'));
    expect(knowledgeEvents.length).toBeGreaterThan(20);
    for (const text of [JSON.stringify(knowledgeEvents), JSON.stringify(job), JSON.stringify(refused), JSON.stringify(status.body), logs.join('\n')]) expect(text).not.toContain(SECRET);
  });
});
