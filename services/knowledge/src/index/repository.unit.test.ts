import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnowledgeConfig } from '../config';
import { createServer } from 'node:net';
import { checkGitHost, checkLocalPath, hostOf, isNetworkUrl, maskCredentials, materialize, withoutCredentials } from './repository';

describe('repository URLs', () => {
  let workspace: string;
  beforeAll(() => { workspace = mkdtempSync(join(tmpdir(), 'cadre-kg-ws-')); });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const config = () => loadKnowledgeConfig({ KNOWLEDGE_WORKSPACE: workspace, KNOWLEDGE_REPOSITORY_ROOTS: workspace, KNOWLEDGE_CLONE_TIMEOUT_MS: '5000' });

  it('indexes a server-side folder under the roots, never a hidden one nor the clones of other projects', async () => {
    const base = mkdtempSync(join(tmpdir(), 'cadre-kg-roots-'));
    try {
      for (const dir of ['repo/.git', 'repo/src', '.cadre/knowledge/p9', 'clones/p9', 'other']) mkdirSync(join(base, dir), { recursive: true });
      const hidden = loadKnowledgeConfig({ KNOWLEDGE_REPOSITORY_ROOTS: base, KNOWLEDGE_WORKSPACE: join(base, '.cadre/knowledge') });
      expect(await checkLocalPath(hidden, join(base, 'repo'))).toBe(join(base, 'repo'));
      // The root itself is fine: the scan never enters .cadre.
      expect(await checkLocalPath(hidden, base)).toBe(base);
      for (const refused of ['.cadre', '.cadre/knowledge', '.cadre/knowledge/p9', 'repo/.git']) {
        await expect(checkLocalPath(hidden, join(base, refused))).rejects.toThrow(/hidden folder/);
      }
      const visible = loadKnowledgeConfig({ KNOWLEDGE_REPOSITORY_ROOTS: base, KNOWLEDGE_WORKSPACE: join(base, 'clones') });
      for (const refused of ['clones', 'clones/p9', '']) await expect(checkLocalPath(visible, join(base, refused))).rejects.toThrow(/clones of other projects/);
      expect(await checkLocalPath(visible, join(base, 'other'))).toBe(join(base, 'other'));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('hands git the credentials of an http(s) URL in its environment, never on its command line', async () => {
    expect(withoutCredentials('https://alice:t0k%40en@example.com/a.git')).toEqual({
      url: 'https://example.com/a.git', header: `Authorization: Basic ${Buffer.from('alice:t0k@en').toString('base64')}`,
    });
    expect(withoutCredentials('https://ghp_token@example.com/a.git').header).toBe(`Authorization: Basic ${Buffer.from('ghp_token:').toString('base64')}`);
    expect(withoutCredentials('ssh://git@example.com/a.git')).toEqual({ url: 'ssh://git@example.com/a.git' });
    expect(withoutCredentials('https://example.com/a.git')).toEqual({ url: 'https://example.com/a.git' });

    // A server that takes the connection and never answers: git waits, and its command line can be read meanwhile.
    const server = createServer(() => undefined);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as { port: number }).port;
    const cfg = loadKnowledgeConfig({ KNOWLEDGE_WORKSPACE: workspace, KNOWLEDGE_REPOSITORY_ROOTS: workspace, KNOWLEDGE_CLONE_TIMEOUT_MS: '3000' });
    const url = `http://alice:s3cr3t-v4lue@127.0.0.1:${port}/shop.git`;
    const cloning = materialize(cfg, 'p-cmdline', maskCredentials(url), async () => url).catch((error: Error) => error);
    const commandLines = (): string[] => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).flatMap((pid) => {
      try { return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')]; } catch { return []; }
    });
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      await new Promise((done) => setTimeout(done, 20));
      seen = commandLines().filter((line) => line.includes(`127.0.0.1:${port}`));
    }
    try {
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.join('\n')).not.toContain('s3cr3t-v4lue');
      expect(seen.join('\n')).not.toContain('alice');
    } finally {
      expect(String(await cloning)).toMatch(/timed out|failed/);
      server.close();
    }
  });

  it('clones only from the hosts KNOWLEDGE_GIT_HOSTS allows, when it names any', async () => {
    expect(['https://git.example.com/a.git', 'ssh://git@GitLab.example.com:22/a.git', 'git@github.com:org/a.git', 'http://[::1]:8080/a', 'git://127.0.0.1:9418/a'].map(hostOf))
      .toEqual(['git.example.com', 'gitlab.example.com', 'github.com', '::1', '127.0.0.1']);
    const open = loadKnowledgeConfig({});
    expect(() => checkGitHost(open, 'http://10.0.0.7:8222/')).not.toThrow();
    const closed = loadKnowledgeConfig({ KNOWLEDGE_GIT_HOSTS: 'github.com, *.example.com' });
    for (const allowed of ['https://github.com/org/a.git', 'git@github.com:org/a.git', 'https://git.example.com/a.git']) expect(() => checkGitHost(closed, allowed)).not.toThrow();
    for (const refused of ['http://10.0.0.7:8222/', 'https://example.com.evil.io/a.git', 'https://evilgithub.com/a.git', 'git@127.0.0.1:a.git', 'https://user:pw@169.254.169.254/x']) {
      expect(() => checkGitHost(closed, refused)).toThrow(/KNOWLEDGE_GIT_HOSTS/);
    }
    // Named masked in the refusal; and the clone itself is refused before git runs.
    expect(() => checkGitHost(closed, 'https://user:pw@169.254.169.254/x')).toThrow(/https:\/\/\*\*\*@169\.254\.169\.254/);
    const cfg = loadKnowledgeConfig({ KNOWLEDGE_WORKSPACE: workspace, KNOWLEDGE_REPOSITORY_ROOTS: workspace, KNOWLEDGE_GIT_HOSTS: 'github.com' });
    await expect(materialize(cfg, 'p-hosts', 'http://127.0.0.1:1/a.git')).rejects.toMatchObject({ code: 'repository_unavailable' });
    expect(existsSync(join(workspace, 'p-hosts'))).toBe(false);
  });

  it('masks the credentials of URLs, in a URL or in any text', () => {
    expect(maskCredentials('https://alice:t0k3n@example.com/a.git')).toBe('https://***@example.com/a.git');
    expect(maskCredentials('https://ghp_t0k3n@example.com/a.git')).toBe('https://***@example.com/a.git');
    expect(maskCredentials("fatal: unable to access 'http://bob:pw@host:8080/x/': 403")).toBe("fatal: unable to access 'http://***@host:8080/x/': 403");
    // An ssh user name is no secret; its password is.
    expect(maskCredentials('ssh://git@example.com/a.git')).toBe('ssh://git@example.com/a.git');
    expect(maskCredentials('ssh://git:pw@example.com/a.git')).toBe('ssh://git:***@example.com/a.git');
    expect(maskCredentials('git@example.com:org/a.git')).toBe('git@example.com:org/a.git');
    expect(maskCredentials('https://example.com/a.git')).toBe('https://example.com/a.git');
  });

  it('takes network URLs only: no ext:: or fd:: transports, options or relative paths', () => {
    for (const url of ['https://example.com/a.git', 'http://h/a', 'ssh://git@h/a.git', 'git://127.0.0.1:9418/a', 'git@github.com:org/a.git']) expect([url, isNetworkUrl(url)]).toEqual([url, true]);
    for (const url of ['ext::sh -c touch% /tmp/x', 'fd::3', 'file:///etc', '-oProxyCommand=x@h:y', 'relative/path', 'https://h/a b', 'foo::https://h/a']) {
      expect([url, isNetworkUrl(url)]).toEqual([url, false]);
    }
  });

  it('refuses to clone an ext:: URL (which would run a command) or a file:// URL outside the allowed folders', async () => {
    const marker = join(workspace, 'ran');
    await expect(materialize(config(), 'p1', `ext::sh -c touch% ${marker}`)).rejects.toMatchObject({ code: 'repository_unavailable' });
    expect(existsSync(marker)).toBe(false);
    await expect(materialize(config(), 'p1', 'file:///etc')).rejects.toThrow(/outside the folders this server indexes/);
    expect(existsSync(join(workspace, 'p1'))).toBe(false);
  });

  it('clones a masked URL with the project\'s credentials, and refuses when the project names another URL since', async () => {
    const cfg = config();
    const masked = 'http://***@127.0.0.1:1/shop.git';
    await expect(materialize(cfg, 'p2', masked)).rejects.toThrow(/credentials of http:\/\/\*\*\*@127\.0\.0\.1:1\/shop\.git are not at hand/);
    let current = 'http://alice:t0k3n@127.0.0.1:1/shop.git';
    const source = async (): Promise<string> => current;
    // Port 1 answers nothing: the clone fails, naming the URL masked.
    const failure = await materialize(cfg, 'p2', masked, source).catch((error: Error) => error);
    expect((failure as Error).message).toMatch(/^git clone of http:\/\/\*\*\*@127\.0\.0\.1:1\/shop\.git failed: /);
    expect((failure as Error).message).not.toContain('t0k3n');
    current = 'http://alice:t0k3n@127.0.0.1:1/other.git';
    await expect(materialize(cfg, 'p2', masked, source)).rejects.toThrow(/changed since this index was requested \(now http:\/\/\*\*\*@127\.0\.0\.1:1\/other\.git\)/);
  });
});
