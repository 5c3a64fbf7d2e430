import { encode as msgpackEncode } from '@msgpack/msgpack';
import { maskSecret } from '@cadre/agents';
import { NotFoundError, ValidationError, type AudioFormat, type VoiceView } from '@cadre/proto';
import { upstream, type UpstreamOptions } from './http';
import { pageVoices, type SpeechEngine, type SpeechRequest, type VoicePage, type VoiceQuery } from './types';

/** A remote provider as resolved for one call: where, with which key and model, at which price. */
export interface RemoteProvider {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly model: string;
  /** Fish Audio: USD per million UTF-8 bytes; OpenAI: USD per million characters. */
  readonly price: number;
}

type Http = Omit<UpstreamOptions, 'provider' | 'secrets' | 'signal'>;

const trim = (url: string): string => url.replace(/\/+$/, '');
const options = (provider: string, remote: RemoteProvider, http: Http, signal?: AbortSignal): UpstreamOptions => ({
  ...http, provider, secrets: remote.apiKey ? [remote.apiKey] : [], ...(signal ? { signal } : {}),
});
const bearer = (remote: RemoteProvider, provider: string): Record<string, string> => {
  if (!remote.apiKey) throw new ValidationError(`${provider} has no API key: an admin sets one with PUT /v1/admin/tts-settings`);
  return { authorization: `Bearer ${remote.apiKey}` };
};
/** mp3 comes as mp3; anything else as WAV, encoded here (Ogg Opus with opusenc). */
const wireFormat = (format: AudioFormat): 'mp3' | 'wav' => (format === 'mp3' ? 'mp3' : 'wav');

/**
 * Fish Audio: `POST /v1/tts` with a MessagePack body (`text`, `reference_id`, `format`) and the
 * model in the `model` header; the answer is the audio itself. Priced per UTF-8 byte of text.
 * Voices are its models: `GET /model` (title, language and tag filters, pages).
 */
export function fishAudioEngine(remote: RemoteProvider, http: Http): SpeechEngine {
  const base = trim(remote.baseUrl);
  const toVoice = (item: Record<string, unknown>): VoiceView => ({
    id: String(item._id ?? item.id ?? ''), name: String(item.title ?? item._id ?? ''), provider: 'fish-audio',
    languages: Array.isArray(item.languages) ? item.languages.map(String) : [],
    tags: Array.isArray(item.tags) ? item.tags.map(String) : [],
    description: typeof item.description === 'string' && item.description !== '' ? item.description : null,
  });
  return {
    id: 'fish-audio',
    async synthesize(request: SpeechRequest) {
      const format = wireFormat(request.format);
      const body = msgpackEncode({
        text: request.text, reference_id: request.voiceId ?? null, format, ...(format === 'mp3' ? { mp3_bitrate: 64 } : {}), normalize: true, latency: 'normal',
      });
      const response = await upstream(`${base}/v1/tts`, {
        method: 'POST', body, headers: { ...bearer(remote, 'fish-audio'), 'content-type': 'application/msgpack', model: remote.model },
      }, options('fish-audio', remote, http, request.signal));
      const audio = Buffer.from(await response.arrayBuffer());
      return {
        audio, format, model: remote.model, voiceId: request.voiceId, keyMasked: maskSecret(remote.apiKey ?? ''),
        costUsd: (Buffer.byteLength(request.text, 'utf8') * remote.price) / 1_000_000,
      };
    },
    async voices(query: VoiceQuery, signal?: AbortSignal): Promise<VoicePage> {
      const params = new URLSearchParams({ page_size: String(query.pageSize), page_number: String(query.page) });
      if (query.search) params.set('title', query.search);
      if (query.language) params.set('language', query.language);
      if (query.tag) params.set('tag', query.tag);
      const response = await upstream(`${base}/model?${params}`, { headers: bearer(remote, 'fish-audio') }, options('fish-audio', remote, http, signal));
      const page = (await response.json()) as { total?: number; items?: Record<string, unknown>[] };
      return { voices: (page.items ?? []).map(toVoice), total: page.total ?? 0 };
    },
  };
}

/** Fish Audio's one voice (`GET /model/{id}`). */
export async function fishAudioVoice(remote: RemoteProvider, http: Http, id: string): Promise<VoiceView> {
  const response = await upstream(`${trim(remote.baseUrl)}/model/${encodeURIComponent(id)}`, { headers: bearer(remote, 'fish-audio') }, options('fish-audio', remote, http))
    .catch((error: unknown) => {
      if ((error as { details?: { status?: number } }).details?.status === 404) throw new NotFoundError(`fish-audio has no voice "${id}"`);
      throw error;
    });
  const item = (await response.json()) as Record<string, unknown>;
  return {
    id: String(item._id ?? id), name: String(item.title ?? id), provider: 'fish-audio',
    languages: Array.isArray(item.languages) ? item.languages.map(String) : [], tags: Array.isArray(item.tags) ? item.tags.map(String) : [],
    description: typeof item.description === 'string' && item.description !== '' ? item.description : null,
  };
}

export interface VoiceboxProfile {
  readonly id: string;
  readonly name: string;
  readonly language: string | null;
  readonly description: string | null;
}

/**
 * Voicebox (a local Qwen3-TTS server): `POST /generate {text, language, profile_id}` answers an
 * id, then `GET /audio/{id}` the WAV. Profiles are its voices. Free.
 */
export function voiceboxEngine(remote: RemoteProvider, http: Http): SpeechEngine & { profiles(signal?: AbortSignal): Promise<VoiceboxProfile[]> } {
  const base = trim(remote.baseUrl);
  const profiles = async (signal?: AbortSignal): Promise<VoiceboxProfile[]> => {
    const response = await upstream(`${base}/profiles`, {}, options('voicebox', remote, http, signal));
    const body = (await response.json()) as unknown;
    const list = Array.isArray(body) ? body : ((body as { profiles?: unknown[] }).profiles ?? []);
    return (list as Record<string, unknown>[]).map((p) => ({
      id: String(p.id ?? ''), name: String(p.name ?? p.id ?? ''),
      language: typeof p.language === 'string' ? p.language : null, description: typeof p.description === 'string' ? p.description : null,
    }));
  };
  return {
    id: 'voicebox',
    profiles,
    async synthesize(request: SpeechRequest) {
      const run = options('voicebox', remote, http, request.signal);
      const generated = await upstream(`${base}/generate`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: request.text, language: 'en', ...(request.voiceId ? { profile_id: request.voiceId } : {}) }),
      }, run);
      const { id } = (await generated.json()) as { id?: unknown };
      if (typeof id !== 'string' && typeof id !== 'number') throw new ValidationError('voicebox answered /generate without an id');
      const audio = Buffer.from(await (await upstream(`${base}/audio/${encodeURIComponent(String(id))}`, {}, run)).arrayBuffer());
      return { audio, format: 'wav', model: remote.model, voiceId: request.voiceId, costUsd: 0 };
    },
    async voices(query: VoiceQuery, signal?: AbortSignal) {
      const all = (await profiles(signal)).map((p): VoiceView => ({
        id: p.id, name: p.name, provider: 'voicebox', languages: p.language ? [p.language] : [], tags: [], description: p.description,
      }));
      return pageVoices(all, query);
    },
  };
}

const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse'];

/**
 * OpenAI-compatible speech (`POST {base}/audio/speech {model, input, voice, response_format}`):
 * OpenAI itself, and local servers that speak it (Kokoro-FastAPI, LocalAI, …). Priced per character.
 */
export function openAiSpeechEngine(remote: RemoteProvider, http: Http): SpeechEngine {
  const base = trim(remote.baseUrl);
  return {
    id: 'openai',
    async synthesize(request: SpeechRequest) {
      const format = wireFormat(request.format);
      const voice = request.voiceId ?? 'alloy';
      const response = await upstream(`${base}/audio/speech`, {
        method: 'POST', headers: { ...bearer(remote, 'openai'), 'content-type': 'application/json' },
        body: JSON.stringify({ model: remote.model, input: request.text, voice, response_format: format }),
      }, options('openai', remote, http, request.signal));
      return {
        audio: Buffer.from(await response.arrayBuffer()), format, model: remote.model, voiceId: voice, keyMasked: maskSecret(remote.apiKey ?? ''),
        costUsd: ([...request.text].length * remote.price) / 1_000_000,
      };
    },
    async voices(query: VoiceQuery) {
      return pageVoices(OPENAI_VOICES.map((id) => ({ id, name: id, provider: 'openai' as const, languages: [], tags: [], description: null })), query);
    },
  };
}
