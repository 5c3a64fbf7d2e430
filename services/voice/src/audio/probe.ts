import { fileTypeFromBuffer } from 'file-type';
import { parseBuffer } from 'music-metadata';

/** What the bytes say a file is; undefined when they say nothing (plain text, unknown binary). */
export async function sniffType(head: Uint8Array): Promise<{ mime: string; ext: string } | undefined> {
  const found = await fileTypeFromBuffer(head);
  return found ? { mime: found.mime, ext: found.ext } : undefined;
}

/** Whether bytes look like text (UTF-8 without control characters other than whitespace). */
export function looksLikeText(head: Uint8Array): boolean {
  const text = Buffer.from(head).toString('utf8');
  if (text.includes('\uFFFD')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000E-\u001F]/.test(text);
}

/** The duration of audio in milliseconds, measured by parsing it (music-metadata); undefined for what is not audio. */
export async function audioDurationMs(audio: Uint8Array, mimeType?: string): Promise<number | undefined> {
  try {
    const meta = await parseBuffer(audio, mimeType ? { mimeType, size: audio.length } : { size: audio.length }, { duration: true, skipCovers: true });
    const seconds = meta.format.duration;
    return seconds === undefined || !Number.isFinite(seconds) ? undefined : Math.round(seconds * 1000);
  } catch {
    return undefined;
  }
}
