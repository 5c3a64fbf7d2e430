import { Pool } from 'pg';
import { createEmbeddedBus } from '@cadre/bus';
import { registry } from '@cadre/cadre';
import { loadGatewayConfig, startGateway } from '@cadre/gateway';
import { gatewayView, startDefinedService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import type { Service } from '@cadre/runtime';
import { createTestDatabase } from '@cadre/testing';
import { fmt, measure, measureInterleaved, ratio, runAlone, verdict, type BenchResult, type Headline } from '../../../bench/stats';
import { encoderStage } from '../src/audio/encode';
import { runPipeline } from '../src/engines/binaries';
import { httpClient } from '../../gateway/bench/http-load';

// Local synthesis through the API (gateway → NATS-less embedded bus → voice service → espeak-ng,
// encoder, attachment in the blob store, call log) beside the same programs run alone, in the
// same run: the overhead is what Cadre adds to the engine's own time.

const TEXT = 'The nightly build finished at nine forty. Three tests failed in the memory service and one in the swarm planner. Please review the open pull requests before the release goes out tonight, thanks.';
const SAMPLES = 40;
const LEVELS = [1, 4, 8] as const;
const THROUGHPUT_TOTAL = 48;

/**
 * The programs alone, run as the service runs them (text on espeak-ng's stdin, its WAV piped
 * into the encoder as it comes) by the same spawn helper: what any caller of these programs pays.
 */
function engineAlone(format: 'wav' | 'mp3' | 'ogg_opus'): () => Promise<void> {
  const input = Buffer.from(TEXT, 'utf8');
  const speak = { program: 'espeak-ng', args: ['-v', 'en-us', '--stdin', '--stdout'] };
  const encoder = encoderStage(format);
  return async () => {
    const audio = await runPipeline(encoder ? [speak, encoder] : [speak], { timeoutMs: 60_000, input });
    if (audio.length === 0) throw new Error('no audio');
  };
}

export async function run(): Promise<BenchResult> {
  const database = await createTestDatabase('cadre_bench_voice');
  const bus = await createEmbeddedBus({ databaseUrl: database.url });
  const pools: Pool[] = [];
  const deps = (name: string) => {
    const pool = new Pool({ connectionString: database.url, max: 12 });
    pools.push(pool);
    return { bus, pool, logger: silentLogger(), instance: `${name}-bench` };
  };
  const wanted = registry.filter((d) => d.name === 'identity' || d.name === 'voice');
  const services: Service[] = [];
  for (const definition of wanted) {
    services.push(await startDefinedService(definition, deps(definition.name), { env: { CADRE_SECRET_KEY: 'a bench key that is long enough to be used', VOICE_MAX_CONCURRENT: '8' } }));
  }
  // No credentials: every call acts as an admin (development mode), so the figures are the voice path's.
  const gateway = await startGateway(deps('gateway'), loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_ENABLED: 'false', LOG_LEVEL: 'silent' }),
    { services: gatewayView(wanted) });
  const client = httpClient(gateway.url, 8);
  const synth = (format: string) => async () => {
    const status = await client.send('POST', '/v1/tts/synthesize', { 'content-type': 'application/json' }, JSON.stringify({ text: TEXT, provider: 'espeak-ng', format }));
    if (status !== 200) throw new Error(`synthesize: ${status}`);
  };
  const roundTrip = async () => {
    const status = await client.send('GET', '/v1/agents/bench/tts-settings', {});
    if (status !== 200) throw new Error(`settings: ${status}`);
  };
  try {
    const rows: string[] = [];
    const headlines: Headline[] = [];
    await measure(roundTrip, 50, 1);
    for (const format of ['wav', 'mp3', 'ogg_opus'] as const) {
      const alone = engineAlone(format);
      await measureInterleaved({ alone, api: synth(format), http: roundTrip }, 5);
      // The commands alone, through the API and one round trip, in turn: each sample of the three sees the same load.
      const { alone: base, api, http: trip } = await measureInterleaved({ alone, api: synth(format), http: roundTrip }, SAMPLES);
      const overhead = (api.p50 - base.p50 - trip.p50) / base.p50;
      rows.push(`| ${format} | ${fmt(base.p50)} | ${fmt(base.p99)} | ${fmt(api.p50)} | ${fmt(api.p99)} | ${fmt(trip.p50)} | ${fmt(api.p50 - base.p50)} | ${fmt(overhead * 100, 0)} % |`);
      headlines.push({
        figure: `voice: local synthesis (200 chars, ${format}) through the API, p50`, value: `${fmt(api.p50)} ms`,
        baseline: `${fmt(base.p50)} ms (the commands alone)`, ratio: ratio(api.p50, base.p50),
        target: 'overhead ≤ 30 % of the engine + one HTTP round trip', verdict: verdict(overhead <= 0.3),
      });
    }
    const throughput: string[] = [];
    for (const level of LEVELS) {
      const alone = engineAlone('wav');
      const base = await measure(alone, THROUGHPUT_TOTAL, level);
      const api = await measure(synth('wav'), THROUGHPUT_TOTAL, level);
      throughput.push(`| ${level} | ${fmt(api.perSecond, 1)} | ${fmt(api.p50)} | ${fmt(api.p99)} | ${fmt(base.perSecond, 1)} | ${ratio(api.perSecond, base.perSecond)} |`);
      if (level === 8) {
        headlines.push({
          figure: 'voice: syntheses/s at 8 clients (espeak-ng, wav, through the API)', value: `${fmt(api.perSecond, 1)}/s`,
          baseline: `${fmt(base.perSecond, 1)}/s (espeak-ng alone, 8 at once)`, ratio: ratio(api.perSecond, base.perSecond), target: '–', verdict: '–',
        });
      }
    }
    const section = [
      '## Voice: local synthesis through the API',
      '',
      `A 200-character text spoken by espeak-ng (en-us) through \`POST /v1/tts/synthesize\`: gateway, embedded bus, voice service, engine,`,
      'encoder (lame 64 kbit/s, opusenc 32 kbit/s), the attachment stored in the blob store (Postgres, embedded), the call log appended and',
      `written. Baseline: the same programs run alone as the service runs them (text on espeak-ng's stdin, its WAV piped into the`,
      `encoder as it comes), by the same spawn helper, in the same run: ${SAMPLES} rounds of one sample each of the commands alone, the`,
      'synthesis through the API and one HTTP round trip through the gateway and the bus (`GET /v1/agents/{id}/tts-settings`), so that',
      'all three see the same load. The overhead column subtracts the round trip:',
      '(API − commands − round trip) ÷ commands.',
      '',
      '| format | commands alone p50 (ms) | p99 | API p50 (ms) | p99 | round trip p50 (ms) | added (ms) | overhead |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `Syntheses per second (espeak-ng, wav, ${THROUGHPUT_TOTAL} each) with 1, 4 and 8 clients at once, the global limit set to 8:`,
      '',
      '| clients | API syntheses/s | p50 (ms) | p99 (ms) | espeak-ng alone/s | ratio |',
      '|---:|---:|---:|---:|---:|---:|',
      ...throughput,
    ].join('\n');
    return { section, headlines };
  } finally {
    client.close();
    await gateway.service.shutdown('bench over');
    for (const service of services.reverse()) await service.shutdown('bench over');
    await bus.drain().catch(() => undefined);
    await Promise.allSettled(pools.map((p) => p.end()));
    await database.dispose();
  }
}

if (require.main === module) runAlone(run);
