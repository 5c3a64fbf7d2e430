import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSource, scanRepository } from './scan';

describe('scanning a repository', () => {
  it('skips and counts a name that is not UTF-8 and a file with a NUL byte past its first 8 KiB, and indexes the rest', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cadre-scan-'));
    try {
      writeFileSync(join(root, 'good.ts'), 'export const good = 1;\n');
      // A name with byte 0xFF: Node cannot stat it by its decoded name.
      writeFileSync(Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff]), Buffer.from('.ts')]), 'export const bad = 1;\n');
      writeFileSync(join(root, 'late-nul.ts'), `export const late = '${'x'.repeat(9_000)}\u0000';\n`);
      const scan = await scanRepository(root, 1 << 20);
      expect(scan.files.map((file) => file.path)).toEqual(['good.ts']);
      expect(scan.skipped).toMatchObject({ unsupported: 1, binary: 1 });
      expect(readSource(root, 'good.ts')).toEqual({ source: 'export const good = 1;\n', hash: scan.files[0]!.hash });
      expect(readSource(root, 'late-nul.ts')).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
