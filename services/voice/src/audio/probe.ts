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

/** File extensions music-metadata picks its parser by, for the audio types it reads. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/vnd.wave': 'wav', 'audio/wave': 'wav', 'audio/mpeg': 'mp3', 'audio/ogg': 'ogg', 'audio/opus': 'opus',
  'audio/flac': 'flac', 'audio/x-flac': 'flac', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a', 'video/mp4': 'mp4', 'audio/aac': 'aac',
  'audio/webm': 'webm', 'video/webm': 'webm', 'audio/aiff': 'aiff', 'audio/x-aiff': 'aiff',
};

/**
 * The duration of audio in milliseconds, measured by parsing it (music-metadata); undefined for
 * what is not audio. The parser is chosen by extension rather than MIME type: its MIME parsing
 * goes through a CommonJS default import that some loaders (tsx, for `npm start`) leave empty.
 */
export async function audioDurationMs(audio: Uint8Array, mimeType?: string): Promise<number | undefined> {
  const ext = mimeType === undefined ? undefined : EXTENSIONS[mimeType.split(';')[0]?.trim().toLowerCase() ?? ''];
  try {
    const meta = await parseBuffer(audio, ext ? { path: `audio.${ext}`, size: audio.length } : { size: audio.length }, { duration: true, skipCovers: true });
    const seconds = meta.format.duration;
    return seconds === undefined || !Number.isFinite(seconds) ? undefined : Math.round(seconds * 1000);
  } catch {
    return undefined;
  }
}
