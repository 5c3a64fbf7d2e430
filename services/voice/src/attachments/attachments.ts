import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Bus } from '@cadre/bus';
import { foldEnvelopes, handleCommand, type EventStore, type NewEventMeta } from '@cadre/eventstore';
import { ATTACHMENTS_BUCKET, CadreError, NotFoundError, ValidationError, type AttachmentView, type UploadRef } from '@cadre/proto';
import { audioDurationMs, looksLikeText, sniffType } from '../audio/probe';
import { attachmentDecider, attachmentStream, type AttachmentState } from './decider';

/** Text types a client may name for bytes that are text; anything else that is text is `text/plain`. */
const TEXT_TYPES = /^(text\/[a-z0-9.+-]+|application\/(json|xml|yaml|x-yaml|x-ndjson|csv))$/;

export interface NewAttachment {
  readonly id: string;
  readonly bytes: Buffer;
  /** Where the bytes already are (an upload the gateway stored); else they are put under `tts/<id>`. */
  readonly blob?: string;
  readonly filename: string | undefined;
  readonly declaredType: string | undefined;
  readonly sessionId: string | undefined;
  readonly source: 'upload' | 'tts';
  /** For syntheses: the measured duration, the type the encoder made. */
  readonly durationMs?: number;
  readonly contentType?: string;
  readonly extension?: string;
}

export interface Attachments {
  store(input: NewAttachment, meta: NewEventMeta, owner: string | undefined): Promise<AttachmentView>;
  /** The attachment and its owner; NotFound when there is none. */
  read(id: string): Promise<{ readonly view: AttachmentView; readonly owner: string | undefined; readonly blob: string }>;
  /** The bytes of an upload ref, refused (and deleted) over `maxBytes`. */
  fetchUpload(ref: UploadRef, maxBytes: number): Promise<Buffer>;
  discard(ref: UploadRef): Promise<void>;
  bytes(blob: string): Promise<Buffer>;
}

/** A name safe to put in a Content-Disposition: its base name, no control characters, at most 200 characters. */
export function safeFilename(name: string | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = basename((name ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? fallback : clean;
}

async function readAll(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.from(chunk as Uint8Array);
    size += b.length;
    if (size > maxBytes) throw new CadreError('payload_too_large', `the file is larger than ${maxBytes} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const toView = (state: NonNullable<AttachmentState>, owner: string | undefined): AttachmentView => {
  const d = state.data;
  return {
    id: d.attachment_id, filename: d.filename, content_type: d.content_type, declared_type: d.declared_type ?? null, size_bytes: d.size_bytes,
    duration_ms: d.duration_ms ?? null, sha256: d.sha256, session_id: d.session_id ?? null, source: d.source, owner: owner ?? null,
    created_at: new Date(state.createdAt).toISOString(),
  };
};

/** Attachments: bytes in the bus's blob store (NATS object store, or Postgres embedded), facts in events. */
export async function createAttachments(bus: Bus, store: EventStore): Promise<Attachments> {
  const blobs = await bus.blobs(ATTACHMENTS_BUCKET);
  return {
    async store(input, meta, owner) {
      const head = input.bytes.subarray(0, 4100);
      let contentType = input.contentType;
      let ext = input.extension;
      if (contentType === undefined) {
        // The bytes decide, never the name or the declared type.
        const sniffed = await sniffType(head);
        if (sniffed) {
          contentType = sniffed.mime;
          ext = sniffed.ext;
        } else if (looksLikeText(head)) {
          const declared = input.declaredType?.split(';')[0]?.trim().toLowerCase();
          contentType = declared !== undefined && TEXT_TYPES.test(declared) ? `${declared}; charset=utf-8` : 'text/plain; charset=utf-8';
          ext = 'txt';
        } else {
          contentType = 'application/octet-stream';
          ext = 'bin';
        }
      }
      const blob = input.blob ?? `tts/${input.id}.${ext ?? 'bin'}`;
      // The duration is measured while the bytes are written: neither needs the other.
      const [durationMs] = await Promise.all([
        input.durationMs ?? (/^(audio|video)\//.test(contentType) ? audioDurationMs(input.bytes, contentType) : undefined),
        input.blob === undefined ? blobs.put(blob, input.bytes) : undefined,
      ]);
      const filename = safeFilename(input.filename, `${input.source === 'tts' ? 'speech' : 'attachment'}-${input.id}.${ext ?? 'bin'}`);
      try {
        const { state } = await handleCommand(store, attachmentDecider, {
          stream: attachmentStream(input.id), meta: owner === undefined ? meta : { ...meta, owner }, subjectScope: input.sessionId ?? input.id,
          command: {
            data: {
              attachment_id: input.id, bucket: ATTACHMENTS_BUCKET, blob, filename, content_type: contentType, size_bytes: input.bytes.length,
              sha256: createHash('sha256').update(input.bytes).digest('hex'), source: input.source,
              ...(input.declaredType ? { declared_type: input.declaredType.slice(0, 255) } : {}),
              ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
              ...(input.sessionId ? { session_id: input.sessionId } : {}),
            },
          },
        });
        if (!state) throw new Error('attachment not stored');
        return toView(state, owner);
      } catch (error) {
        await blobs.delete(blob).catch(() => false);
        throw error;
      }
    },
    async read(id) {
      const events = await store.readStream(attachmentStream(id));
      const state = foldEnvelopes(attachmentDecider, attachmentDecider.initialState, events);
      if (!state) throw new NotFoundError(`no attachment '${id}'`);
      const owner = events[0]?.meta.owner;
      return { view: toView(state, owner), owner, blob: state.data.blob };
    },
    async fetchUpload(ref, maxBytes) {
      if (ref.bucket !== ATTACHMENTS_BUCKET || !ref.blob.startsWith('upload/')) throw new ValidationError('not an upload of this service');
      if (ref.size > maxBytes) {
        await blobs.delete(ref.blob).catch(() => false);
        throw new CadreError('payload_too_large', `the file is ${ref.size} bytes; attachments may be at most ${maxBytes}`, { limit_bytes: maxBytes });
      }
      const stream = await blobs.get(ref.blob);
      if (!stream) throw new ValidationError('the uploaded file is gone');
      return readAll(stream, maxBytes);
    },
    async discard(ref) {
      if (ref.bucket === ATTACHMENTS_BUCKET && ref.blob.startsWith('upload/')) await blobs.delete(ref.blob).catch(() => false);
    },
    async bytes(blob) {
      const stream = await blobs.get(blob);
      if (!stream) throw new NotFoundError('the attachment\'s content is gone');
      return readAll(stream, Number.MAX_SAFE_INTEGER);
    },
  };
}
