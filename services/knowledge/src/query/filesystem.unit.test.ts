import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@cadre/proto';
import { changedLines, commitOf } from './changes';
import { sourceOf } from './search';

describe('changes', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cadre-changes-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    writeFileSync(join(root, 'a.ts'), 'export function a() { return 1; }\n');
    git('add', '.');
    git('commit', '-qm', 'one');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('resolves a revision to its commit, and never lets one be read as an option', async () => {
    expect(await commitOf(root, 'HEAD')).toMatch(/^[0-9a-f]{40}$/);
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'precious');
    for (const revision of ['--output=victim.txt', `--output=${victim}`, '-o', '--end-of-options']) {
      await expect(commitOf(root, revision)).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(commitOf(root, 'no-such-branch')).rejects.toThrow(/does not know that revision/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(existsSync(join(root, '--output=victim.txt'))).toBe(false);
  });

  it('maps a deleted file to all of it, and new and changed lines to their numbers', () => {
    const diff = [
      'diff --git a/gone.ts b/gone.ts', 'deleted file mode 100644', '--- a/gone.ts', '+++ /dev/null', '@@ -1,3 +0,0 @@', '-x', '-y', '-z',
      'diff --git a/kept.ts b/kept.ts', '--- a/kept.ts', '+++ b/kept.ts', '@@ -2 +2,2 @@', '-old', '+new', '+more',
      'diff --git a/new.ts b/new.ts', 'new file mode 100644', '--- /dev/null', '+++ b/new.ts', '@@ -0,0 +1 @@', '+fresh',
    ].join('\n');
    const lines = changedLines(diff);
    expect([...lines].map(([path, set]) => [path, [...set]])).toEqual([['gone.ts', [0]], ['kept.ts', [2, 3]], ['new.ts', [1]]]);
  });
});

describe('source snippets', () => {
  it('reads a regular file of the indexed folder, never one a link leads out of it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cadre-snippet-'));
    const outside = mkdtempSync(join(tmpdir(), 'cadre-secret-'));
    try {
      writeFileSync(join(root, 'a.ts'), 'export const a = 1;\n');
      writeFileSync(join(outside, 'secret.txt'), 'JWT_SECRET=hunter2\n');
      symlinkSync(join(outside, 'secret.txt'), join(root, 'b.ts'));
      symlinkSync('/proc/self/environ', join(root, 'c.ts'));
      symlinkSync('a.ts', join(root, 'd.ts'));
      expect(await sourceOf(root, 'a.ts')).toBe('export const a = 1;\n');
      expect(await sourceOf(root, 'b.ts')).toBeUndefined();
      expect(await sourceOf(root, 'c.ts')).toBeUndefined();
      expect(await sourceOf(root, '../' + outside.split('/').pop() + '/secret.txt')).toBeUndefined();
      // A link inside the folder to a file of it is that file.
      expect(await sourceOf(root, 'd.ts')).toBe('export const a = 1;\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
