import type { BlobStore, Bus } from '@cadre/bus';

const opened = new WeakMap<Bus, Map<string, Promise<BlobStore>>>();

/** A bucket of the bus's blob store, opened once per bus (opening one is a round trip to NATS). */
export function blobStore(bus: Bus, bucket: string): Promise<BlobStore> {
  let buckets = opened.get(bus);
  if (!buckets) opened.set(bus, (buckets = new Map()));
  let store = buckets.get(bucket);
  if (!store) {
    store = bus.blobs(bucket);
    buckets.set(bucket, store);
    // A failed open (the bus was down) is tried again by the next request.
    store.catch(() => buckets.delete(bucket));
  }
  return store;
}
