import type { Bus, StreamMessage, Subscription } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { PRINCIPAL_HEADER, domainFilter, type EventEnvelope, type MessageDefinition, type Principal } from '@cadre/proto';
import { call } from '@cadre/runtime';
import { startTestbed, type Testbed } from '@cadre/testbed';
import type { z } from 'zod';
import { loadVoiceConfig, startVoice } from '../index';

export const ADMIN: Principal = { kind: 'user', user_id: 'u-admin', role: 'admin', credential_id: 's-admin' };
export const MEMBER: Principal = { kind: 'user', user_id: 'u-member', role: 'member', credential_id: 's-member' };
export const OTHER: Principal = { kind: 'user', user_id: 'u-other', role: 'member', credential_id: 's-other' };

/** The voice service on a fresh database and a real bus, as the gateway would call it. */
export interface VoiceHarness {
  readonly bed: Testbed;
  readonly bus: Bus;
  /** Every `evt.voice.*` event so far. */
  readonly events: StreamMessage[];
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>, principal?: Principal): Promise<z.infer<D['reply']>>;
  eventsOf(type: string): EventEnvelope[];
  addReplica(env?: Readonly<Record<string, string>>): Promise<void>;
  dispose(): Promise<void>;
}

export async function startVoiceHarness(options: { transport?: 'embedded' | 'nats'; env?: Readonly<Record<string, string>> } = {}): Promise<VoiceHarness> {
  const bed = await startTestbed({ name: 'cadre_voice', transport: options.transport, pollIntervalMs: 50 });
  const replicas: Array<{ shutdown(reason: string): Promise<void> }> = [];
  const addReplica = async (env: Readonly<Record<string, string>> = {}): Promise<void> => {
    const config = loadVoiceConfig({
      CADRE_SECRET_KEY: 'a test key that is long enough to be used ok', VOICE_HTTP_RETRY_BASE_MS: '10', ...options.env, ...env,
    });
    replicas.push(await startVoice({ bus: bed.bus, pool: bed.pool, logger: silentLogger(), instance: `voice-${replicas.length + 1}` }, config));
  };
  await addReplica();
  const events: StreamMessage[] = [];
  const watcher: Subscription = await bed.bus.events.replay({ fromSeq: 1, filterSubject: domainFilter('voice') }, (m) => void events.push(m));
  return {
    bed, bus: bed.bus, events, addReplica,
    send: (definition, payload, principal = ADMIN) => call(bed.bus, definition, payload, { timeoutMs: 60_000, headers: { [PRINCIPAL_HEADER]: JSON.stringify(principal) } }),
    eventsOf: (type) => events.map((m) => m.json<EventEnvelope>()).filter((e) => e.type === type),
    async dispose() {
      await watcher.stop();
      for (const replica of replicas.reverse()) await replica.shutdown('test over');
      await bed.bus.drain();
      await bed.dispose();
    },
  };
}
