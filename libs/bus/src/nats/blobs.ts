import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { Objm, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { JetStreamClient } from '@nats-io/jetstream';
import { assertName, ValidationError } from '@cadre/proto';
import type { BlobInfo, BlobStore } from '../types';
import type { Connection } from './connection';
import { mapNatsError } from './errors';

/** Opens (creating when missing) a blob bucket on the JetStream object store. */
export async function openBlobStore(conn: Connection, js: JetStreamClient, bucket: string): Promise<BlobStore> {
  assertName('bucket', bucket);
  conn.assertConnected(`blobs ${bucket}`);
  let store: ObjectStore;
  try {
    store = await conn.guard(new Objm(js).create(bucket, { storage: StorageType.File }), `blobs ${bucket}`);
  } catch (error) {
    throw mapNatsError(error, `blobs ${bucket}`);
  }
  const call = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    conn.assertConnected(what);
    try {
      return await conn.guard(work(), what);
    } catch (error) {
      throw mapNatsError(error, what);
    }
  };
  const toInfo = (info: ObjectInfo): BlobInfo => ({
    bucket,
    name: info.name,
    size: info.size,
    modified: new Date(info.mtime),
    ...(info.digest ? { digest: info.digest } : {}),
  });
  const live = (info: ObjectInfo | null): ObjectInfo | undefined => (info && !info.deleted ? info : undefined);

  return {
    bucket,
    async put(name, content) {
      assertBlobName(name);
      const info = await call(`put ${bucket}/${name}`, () =>
        content instanceof Uint8Array
          ? store.putBlob({ name }, content)
          : // Chunks go to the server as they are read; the whole blob is never held in memory.
            store.put({ name }, Readable.toWeb(content) as unknown as ReadableStream<Uint8Array>),
      );
      return toInfo(info);
    },
    async get(name) {
      assertBlobName(name);
      const result = await call(`get ${bucket}/${name}`, () => store.get(name));
      if (!result || result.info.deleted) return undefined;
      const stream = Readable.fromWeb(result.data as unknown as NodeWebStream<Uint8Array>);
      // A digest mismatch or a broken read shows up here, after the data started flowing.
      void result.error.then((error) => {
        if (error) stream.destroy(error);
      });
      return stream;
    },
    async info(name) {
      assertBlobName(name);
      const info = live(await call(`info ${bucket}/${name}`, () => store.info(name)));
      return info ? toInfo(info) : undefined;
    },
    async delete(name) {
      assertBlobName(name);
      const info = live(await call(`info ${bucket}/${name}`, () => store.info(name)));
      if (!info) return false;
      await call(`delete ${bucket}/${name}`, () => store.delete(name));
      return true;
    },
    async list() {
      const all = await call(`list ${bucket}`, () => store.list());
      return all.filter((info) => !info.deleted).map(toInfo);
    },
  };
}

function assertBlobName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1024) {
    throw new ValidationError(`invalid blob name "${String(name)}"`, { name });
  }
}
