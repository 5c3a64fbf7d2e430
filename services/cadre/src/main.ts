// `npm start`: all of Cadre in one process (embedded mode). DATABASE_URL and NATS_URL, when
// set, replace the embedded Postgres and the in-process bus.
import { loadSharedConfig } from '@cadre/config';
import { startTelemetry } from '@cadre/telemetry';

// Telemetry first: its instrumentations patch http and pg, so they must load after it.
const shared = loadSharedConfig();
const telemetry = startTelemetry({
  serviceName: shared.OTEL_SERVICE_NAME ?? 'cadre',
  ...(shared.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: shared.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
});

async function main(): Promise<void> {
  const { startCadre, startBanner } = await import('./index');
  const cadre = await startCadre(process.env);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    cadre.logger.info({ signal }, 'stopping');
    // Bounded: a stuck part must not keep the process past the grace period.
    const force = setTimeout(() => {
      cadre.logger.error({ graceMs: shared.SHUTDOWN_GRACE_MS }, 'shutdown took too long');
      process.exit(1);
    }, shared.SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    cadre
      .stop(signal)
      .then(() => telemetry.shutdown())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.stderr.write(`${startBanner(cadre.url, {
    database: cadre.database.embedded ? 'embedded Postgres' : 'DATABASE_URL',
    bus: cadre.bus === 'nats' ? 'NATS (NATS_URL)' : 'embedded (in-process, durable in Postgres)',
    ...(cadre.database.embedded ? { dataDir: cadre.dataDir } : {}),
  })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
