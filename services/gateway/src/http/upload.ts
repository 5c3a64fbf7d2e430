import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request, RequestHandler, Response } from 'express';
import type { Bus } from '@cadre/bus';
import { blobStore } from './blob-stores';
import { CadreError, ValidationError, type RouteDefinition, type UploadRef } from '@cadre/proto';
import { jsonBody } from './body';

const JSON_TYPES = ['application/json', 'application/*+json'];
const UPLOAD_KEY = 'cadreUpload';

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

const tooLarge = (limit: number): CadreError => new CadreError('payload_too_large', `The file is over the upload limit of ${limit} bytes`, { limit_bytes: limit });

/** Counts what passes and fails the stream past `limit` bytes. */
function counter(limit: number): Transform & { readonly bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) done(tooLarge(limit));
      else done(null, chunk);
    },
  });
  return Object.assign(stream, { bytes: () => bytes });
}

/** The upload a request stored, if any (to delete when the request fails before the service took it). */
export function uploadOf(res: Response): UploadRef | undefined {
  return res.locals[UPLOAD_KEY] as UploadRef | undefined;
}

async function store(bus: Bus, bucket: string, source: Readable, limit: number, info: { filename?: string; declaredType?: string }): Promise<UploadRef> {
  // Wired before anything is awaited: a body that breaks off at once must find its error handled.
  const counted = counter(limit);
  source.on('error', (error) => counted.destroy(error));
  counted.on('error', () => undefined);
  source.pipe(counted);
  const blob = `upload/${randomUUID()}`;
  let blobs;
  try {
    blobs = await blobStore(bus, bucket);
  } catch (error) {
    source.resume();
    throw error;
  }
  try {
    await blobs.put(blob, counted);
  } catch (error) {
    await blobs.delete(blob).catch(() => false);
    throw error instanceof CadreError && error.kind === 'payload_too_large' ? error : counted.bytes() > limit ? tooLarge(limit) : error;
  }
  if (counted.bytes() > limit) {
    await blobs.delete(blob).catch(() => false);
    throw tooLarge(limit);
  }
  return {
    bucket, blob, size: counted.bytes(),
    ...(info.filename ? { filename: info.filename.slice(0, 255) } : {}),
    ...(info.declaredType ? { declared_type: info.declaredType.slice(0, 255) } : {}),
  };
}

/** Reads a multipart body: its one file part goes to the blob store, the other parts are fields. */
function multipart(req: Request, bus: Bus, bucket: string, limit: number): Promise<{ fields: Record<string, string>; file: UploadRef | undefined }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, parts: 21, fieldSize: 64 * 1024, fileSize: limit } });
    } catch (error) {
      reject(new ValidationError(`Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Promise<UploadRef> | undefined;
    let failure: unknown;
    parser.on('field', (name, value) => {
      if (name !== '__proto__' && name !== 'constructor') fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      if (file) {
        stream.resume();
        return;
      }
      stream.on('limit', () => stream.destroy(tooLarge(limit)));
      file = store(bus, bucket, stream, limit, { filename: info.filename, declaredType: info.mimeType });
      file.catch((error: unknown) => {
        failure ??= error;
      });
    });
    parser.on('filesLimit', () => {
      failure ??= new ValidationError('Send one file per upload');
    });
    parser.on('error', (error: unknown) => {
      failure ??= new ValidationError(`Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`);
      req.unpipe(parser);
      req.resume();
      void settle();
    });
    const settle = async (): Promise<void> => {
      const ref = await file?.catch(() => undefined);
      if (failure !== undefined) {
        if (ref) await (await blobStore(bus, bucket)).delete(ref.blob).catch(() => false);
        reject(failure);
      } else {
        resolve({ fields, file: ref });
      }
    };
    parser.on('close', () => void settle());
    req.pipe(parser);
  });
}

/**
 * The body of an upload route: JSON goes to the JSON parser; `multipart/form-data` and raw bytes
 * of any other type are streamed into the route's blob bucket (413 past `limit`, before reading
 * when Content-Length says so), and the service gets `{ ...fields, [field]: UploadRef }`.
 */
export function uploadBody(route: RouteDefinition, bus: Bus, limit: number, jsonLimit: number): RequestHandler {
  const spec = route.upload;
  const json = jsonBody(route, jsonLimit);
  return (req, res, next) => {
    if (spec === undefined || !hasBody(req.headers) || req.is(JSON_TYPES)) {
      json(req, res, next);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit + (req.is('multipart/form-data') ? 64 * 1024 : 0)) {
      next(tooLarge(limit));
      return;
    }
    const work = req.is('multipart/form-data')
      ? multipart(req, bus, spec.bucket, limit).then(({ fields, file }) => ({ ...fields, ...(file ? { [spec.field]: file } : {}) }))
      : store(bus, spec.bucket, req, limit, { declaredType: req.headers['content-type'] }).then((file) => ({ [spec.field]: file }));
    work.then((body) => {
      const file = body[spec.field];
      if (file !== undefined) res.locals[UPLOAD_KEY] = file;
      req.body = body;
      next();
    }, (error: unknown) => {
      // Stop reading what is left of a refused body; the connection closes after the answer.
      req.unpipe();
      req.resume();
      res.setHeader('Connection', 'close');
      next(error);
    });
  };
}
