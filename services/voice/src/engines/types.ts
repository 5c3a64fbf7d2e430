import type { AudioFormat, TtsProvider, VoiceView } from '@cadre/proto';

/** What one synthesis asks of an engine. */
export interface SpeechRequest {
  readonly text: string;
  /** The engine's voice (undefined: its default). */
  readonly voiceId: string | undefined;
  /** The format wanted in the end: an engine may answer it directly, else wav to be encoded. */
  readonly format: AudioFormat;
  readonly signal: AbortSignal;
}

/** What an engine made. */
export interface SpeechAudio {
  readonly audio: Buffer;
  readonly format: AudioFormat;
  readonly model: string;
  readonly voiceId: string | undefined;
  readonly costUsd: number;
  /** The key used, masked (remote engines). */
  readonly keyMasked?: string;
}

/** A page of voices, filtered. */
export interface VoiceQuery {
  readonly search?: string | undefined;
  readonly language?: string | undefined;
  readonly tag?: string | undefined;
  readonly page: number;
  readonly pageSize: number;
}

export interface VoicePage {
  readonly voices: VoiceView[];
  readonly total: number;
}

/** A text-to-speech engine behind the one interface. */
export interface SpeechEngine {
  readonly id: TtsProvider;
  synthesize(request: SpeechRequest): Promise<SpeechAudio>;
  voices(query: VoiceQuery, signal?: AbortSignal): Promise<VoicePage>;
}

/** Filters and pages a full list of voices (engines that list them all at once). */
export function pageVoices(all: readonly VoiceView[], query: VoiceQuery): VoicePage {
  const search = query.search?.toLowerCase();
  const language = query.language?.toLowerCase();
  const tag = query.tag?.toLowerCase();
  const matching = all.filter((v) =>
    (search === undefined || v.id.toLowerCase().includes(search) || v.name.toLowerCase().includes(search))
    && (language === undefined || v.languages.some((l) => l.toLowerCase() === language || l.toLowerCase().startsWith(`${language}-`)))
    && (tag === undefined || v.tags.some((t) => t.toLowerCase() === tag)));
  const start = (query.page - 1) * query.pageSize;
  return { voices: matching.slice(start, start + query.pageSize), total: matching.length };
}
