import { eventSubject } from '@cadre/proto';
import { percentile } from '../../../bench/stats';
import { startSubscribers } from './sse-subscribers';
import { startStack } from './stack';
async function main() {
  const stack = await startStack('nats');
  const n = Number(process.argv[2] ?? 1000);
  const subs = await startSubscribers(`${stack.gateway.url}/v1/events/stream`, n, stack.token);
  const now = () => performance.timeOrigin + performance.now();
  await subs.report();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let i = 0;
  await new Promise<void>((resolve) => { const t = setInterval(() => { if (i >= 500) { clearInterval(t); resolve(); return; } i++;
    const data = Buffer.from(JSON.stringify({ type: 'bench_note_added', data: { note_id: `b${i}`, text: 'x', sent_at: now() } }));
    void stack.bus.events.publish(eventSubject('bench', 'bench_note_added', `b${i}`), data, { msgId: `d-${t0}-${i}` }); }, 10); });
  await new Promise((r) => setTimeout(r, 1000));
  const rep = await subs.report();
  const secs = (now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  console.log({ frames: rep.frames, perSec: rep.frames / secs, p50: percentile(rep.latencies, 50), p99: percentile(rep.latencies, 99), mainElu: elu.utilization, cpuUserS: cpu.user / 1e6, cpuSysS: cpu.system / 1e6, secs });
  await subs.stop(); await stack.stop(); process.exit(0);
}
main();
