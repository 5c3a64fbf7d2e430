import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { TtsProvider } from '@cadre/proto';
import type { Attachments } from './attachments/attachments';
import type { VoiceConfig } from './config';
import type { SpeechEngine } from './engines/types';
import type { SlotLimiter } from './limiter';
import type { VoiceSettings } from './settings/settings';
import type { VoiceDatabase } from './storage/database';

/** Everything the voice service's handlers share. */
export interface VoiceContext {
  readonly config: VoiceConfig;
  readonly bus: Bus;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly schema: string;
  /** This replica's instance id. */
  readonly instance: string;
  readonly pool: Pool;
  readonly db: Kysely<unknown>;
  /** Kysely on the service's schema. */
  readonly tables: Kysely<VoiceDatabase>;
  readonly settings: VoiceSettings;
  readonly attachments: Attachments;
  readonly limiter: SlotLimiter;
  /** The engine of a provider, with its current settings (remote ones are made per call). */
  engine(provider: TtsProvider): Promise<SpeechEngine>;
  /** Syntheses running in this replica, by the id their caller named. */
  readonly running: Map<string, { readonly controller: AbortController; readonly owner: string | undefined }>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** Retry and timeout settings of upstream calls. */
export function httpOptions(config: VoiceConfig): { attempts: number; baseDelayMs: number; timeoutMs: number } {
  return { attempts: config.VOICE_HTTP_ATTEMPTS, baseDelayMs: config.VOICE_HTTP_RETRY_BASE_MS, timeoutMs: config.VOICE_ENGINE_TIMEOUT_MS };
}
