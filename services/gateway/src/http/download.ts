import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import rangeParser from 'range-parser';
import type { Bus } from '@cadre/bus';
import { blobStore } from './blob-stores';
import { NotFoundError, BlobContent } from '@cadre/proto';

/** Bytes `start`..`end` (inclusive) of a stream, which is left as soon as they are read. */
async function* slice(source: Readable, start: number, end: number): AsyncGenerator<Buffer> {
  let offset = 0;
  try {
    for await (const piece of source) {
      const chunk = Buffer.from(piece as Uint8Array);
      const from = Math.max(start - offset, 0);
      const to = Math.min(end + 1 - offset, chunk.length);
      if (to > from) yield chunk.subarray(from, to);
      offset += chunk.length;
      if (offset > end) break;
    }
  } finally {
    source.destroy();
  }
}

/** Types a browser may show inline; anything else is a download (an uploaded HTML page must not run on the API's origin). */
const INLINE = /^(audio|video)\/|^image\/(png|jpeg|gif|webp)$/;

function disposition(type: string, filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${INLINE.test(type) ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * Streams the blob a download route's reply names, honouring a single `Range` (206 with
 * Content-Range; 416 when it cannot be satisfied; several ranges or a stale `If-Range` get the
 * whole body), so that audio players can seek.
 */
export async function sendBlob(req: Request, res: Response, bus: Bus, reply: unknown): Promise<void> {
  const content = BlobContent.parse(reply);
  const source = await (await blobStore(bus, content.bucket)).get(content.blob);
  if (!source) throw new NotFoundError('the content is gone');
  const size = content.size;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (range !== undefined && size > 0 && (ifRange === undefined || ifRange === content.etag)) {
    const ranges = rangeParser(size, range, { combine: true });
    if (ranges === -1) {
      source.destroy();
      res.status(416).setHeader('Content-Range', `bytes */${size}`);
      res.end();
      return;
    }
    if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1 && ranges[0]) {
      start = ranges[0].start;
      end = ranges[0].end;
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
  }
  res.status(status);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', content.content_type);
  res.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1));
  res.setHeader('Content-Disposition', disposition(content.content_type, content.filename));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'private, no-cache');
  if (content.etag) res.setHeader('ETag', content.etag);
  if (req.method === 'HEAD' || size === 0) {
    source.destroy();
    res.end();
    return;
  }
  await pipeline(Readable.from(slice(source, start, end)), res);
}
