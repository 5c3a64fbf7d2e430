import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { ContractContext } from './helpers';
import { unique } from './helpers';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A stream of `size` random bytes in 64 KiB chunks, and the sha256 of what it produced. */
function randomStream(size: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) return this.push(null);
      const chunk = randomBytes(Math.min(left, 64 * 1024));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** Blob buckets: streamed put and get, info, list, replace, delete. */
export function registerBlobs(ctx: ContractContext): void {
  describe('blobs', () => {
    it('streams a multi-megabyte blob in and out of a bucket another bus reads', async () => {
      const bucket = unique('bk');
      const size = 5 * 1024 * 1024 + 123;
      const source = randomStream(size);
      const stored = await (await ctx.a().blobs(bucket)).put('big/file.bin', source.stream);
      expect(stored).toMatchObject({ bucket, name: 'big/file.bin', size });
      expect(stored.modified).toBeInstanceOf(Date);

      const reader = await ctx.b().blobs(bucket);
      const stream = await reader.get('big/file.bin');
      expect(stream).toBeDefined();
      const content = await readAll(stream!);
      expect(content.length).toBe(size);
      expect(createHash('sha256').update(content).digest('hex')).toBe(source.digest());
      expect(await reader.info('big/file.bin')).toMatchObject({ bucket, name: 'big/file.bin', size });
    });

    it('replaces, lists and deletes blobs; a missing blob is undefined, not an error', async () => {
      const store = await ctx.a().blobs(unique('bk'));
      await store.put('a.txt', new TextEncoder().encode('first'));
      await store.put('a.txt', new TextEncoder().encode('second'));
      await store.put('b.txt', Readable.from([Buffer.from('bee')]));
      await store.put('empty.txt', new Uint8Array(0));

      expect((await readAll((await store.get('a.txt'))!)).toString()).toBe('second');
      expect((await readAll((await store.get('empty.txt'))!)).length).toBe(0);
      const listed = await store.list();
      expect(listed.map((i) => [i.name, i.size]).sort()).toEqual([['a.txt', 6], ['b.txt', 3], ['empty.txt', 0]]);

      expect(await store.delete('a.txt')).toBe(true);
      expect(await store.delete('a.txt')).toBe(false);
      expect(await store.get('a.txt')).toBeUndefined();
      expect(await store.info('a.txt')).toBeUndefined();
      expect(await store.get('never.txt')).toBeUndefined();
      expect((await store.list()).map((i) => i.name).sort()).toEqual(['b.txt', 'empty.txt']);
    });
  });
}
