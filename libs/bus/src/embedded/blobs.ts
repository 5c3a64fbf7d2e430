import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { assertName, ConflictError, ValidationError } from '@cadre/proto';
import { v7 as uuidv7 } from 'uuid';
import type { PoolClient } from 'pg';
import type { BlobInfo, BlobStore } from '../types';
import type { BusContext } from './context';
import type { Db } from './db';

/** Blobs are stored and streamed in chunks of this size: memory stays bounded whatever the blob. */
export const CHUNK_SIZE = 256 * 1024;

/** A blob bucket in Postgres: metadata in `blobs`, content in `blob_chunks`. */
export function embeddedBlobStore(ctx: BusContext, bucket: string): BlobStore {
  assertName('bucket', bucket);
  const { db } = ctx;
  const blobs = () => db.kysely.selectFrom('blobs').select(['name', 'size', 'modified', 'digest', 'blob_id']).where('bucket', '=', bucket);
  const toInfo = (row: BlobRow): BlobInfo => ({
    bucket,
    name: row.name,
    size: Number(row.size),
    modified: row.modified,
    ...(row.digest ? { digest: row.digest } : {}),
  });

  return {
    bucket,
    async put(name, content) {
      assertBlobName(name);
      if (!(content instanceof Uint8Array) && !(content instanceof Readable)) throw new ValidationError('blob content must be bytes or a Readable');
      // One transaction: readers see the old blob until the new one is complete, then only it.
      const info = await db.tx(`put ${bucket}/${name}`, (client) => writeBlob(db, client, bucket, name, content));
      if (!info) throw new Error('blob put returned no row');
      return toInfo(info);
    },
    async get(name) {
      assertBlobName(name);
      const row = await db.run(`get ${bucket}/${name}`, () => blobs().where('name', '=', name).executeTakeFirst());
      if (!row) return undefined;
      return Readable.from(readChunks(ctx, row.blob_id, `${bucket}/${name}`), { objectMode: false });
    },
    async info(name) {
      assertBlobName(name);
      const row = await db.run(`info ${bucket}/${name}`, () => blobs().where('name', '=', name).executeTakeFirst());
      return row ? toInfo(row) : undefined;
    },
    async delete(name) {
      assertBlobName(name);
      return db.tx(`delete ${bucket}/${name}`, async (client) => {
        const { rows } = await client.query<{ blob_id: string }>(
          `DELETE FROM ${db.t('blobs')} WHERE bucket = $1 AND name = $2 RETURNING blob_id`, [bucket, name]);
        const gone = rows[0];
        if (gone) await client.query(`DELETE FROM ${db.t('blob_chunks')} WHERE blob_id = $1`, [gone.blob_id]);
        return gone !== undefined;
      });
    },
    async list() {
      const rows = await db.run(`list ${bucket}`, () => blobs().orderBy('name').execute());
      return rows.map(toInfo);
    },
  };
}

interface BlobRow {
  readonly name: string;
  readonly size: string;
  readonly modified: Date;
  readonly digest: string | null;
}

/**
 * Writes a blob inside the caller's transaction (the bus's own records join it: a dead letter
 * commits with its event), replacing one of the same name.
 */
export async function writeBlob(db: Db, client: PoolClient, bucket: string, name: string, content: Readable | Uint8Array): Promise<BlobRow | undefined> {
  const blobId = uuidv7();
  const hash = createHash('sha256');
  let size = 0;
  let index = 0;
  for await (const chunk of chunks(content)) {
    hash.update(chunk);
    size += chunk.length;
    await client.query(`INSERT INTO ${db.t('blob_chunks')} (blob_id, idx, data) VALUES ($1, $2, $3)`, [blobId, index++, chunk]);
  }
  const digest = `SHA-256=${hash.digest('base64url')}`;
  // Serialise puts of one name so the replaced content is always the one deleted.
  await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [`${db.schema}.blobs/${bucket}`, name]);
  const old = await client.query<{ blob_id: string }>(`SELECT blob_id FROM ${db.t('blobs')} WHERE bucket = $1 AND name = $2`, [bucket, name]);
  const { rows } = await client.query<BlobRow>(
    `INSERT INTO ${db.t('blobs')} (bucket, name, blob_id, size, digest, modified) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (bucket, name) DO UPDATE SET blob_id = EXCLUDED.blob_id, size = EXCLUDED.size, digest = EXCLUDED.digest, modified = EXCLUDED.modified
     RETURNING name, size, modified, digest`,
    [bucket, name, blobId, size, digest]);
  const previous = old.rows[0]?.blob_id;
  if (previous) await client.query(`DELETE FROM ${db.t('blob_chunks')} WHERE blob_id = $1`, [previous]);
  return rows[0];
}

/**
 * Reads one chunk per query as the consumer pulls. A blob replaced or deleted mid-read loses
 * its chunks; the stream then fails with a ConflictError rather than mix two versions.
 */
async function* readChunks(ctx: BusContext, blobId: string, what: string): AsyncGenerator<Buffer> {
  for (let index = 0; ; index++) {
    const { rows } = await ctx.db.query<{ data: Buffer; more: boolean }>(`read ${what}`,
      `SELECT data, EXISTS (SELECT 1 FROM ${ctx.db.t('blob_chunks')} WHERE blob_id = $1 AND idx = $2 + 1) AS more
         FROM ${ctx.db.t('blob_chunks')} WHERE blob_id = $1 AND idx = $2`,
      [blobId, index]);
    const row = rows[0];
    if (!row) {
      if (index === 0 && (await isEmptyBlob(ctx, blobId))) return;
      throw new ConflictError(`blob ${what} changed while it was read`);
    }
    yield row.data;
    if (!row.more) return;
  }
}

async function isEmptyBlob(ctx: BusContext, blobId: string): Promise<boolean> {
  const { rows } = await ctx.db.query<{ size: string }>('read blob', `SELECT size FROM ${ctx.db.t('blobs')} WHERE blob_id = $1`, [blobId]);
  return rows[0]?.size === '0';
}

/** The content cut into CHUNK_SIZE pieces, holding at most one chunk (plus one incoming piece) in memory. */
async function* chunks(content: Readable | Uint8Array): AsyncGenerator<Buffer> {
  if (content instanceof Uint8Array) {
    for (let offset = 0; offset < content.length; offset += CHUNK_SIZE) {
      yield Buffer.from(content.subarray(offset, offset + CHUNK_SIZE));
    }
    return;
  }
  let pending: Buffer[] = [];
  let pendingSize = 0;
  for await (const piece of content) {
    let buffer = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece as Uint8Array);
    while (pendingSize + buffer.length >= CHUNK_SIZE) {
      const take = CHUNK_SIZE - pendingSize;
      yield Buffer.concat([...pending, buffer.subarray(0, take)]);
      buffer = buffer.subarray(take);
      pending = [];
      pendingSize = 0;
    }
    if (buffer.length > 0) {
      pending.push(buffer);
      pendingSize += buffer.length;
    }
  }
  if (pendingSize > 0) yield Buffer.concat(pending);
}

function assertBlobName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1024) {
    throw new ValidationError(`invalid blob name "${String(name)}"`, { name });
  }
}
