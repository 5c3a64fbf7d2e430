// The one entry point of every Cadre process:
//   main.ts                      all of Cadre in one process (`npm start`, embedded mode)
//   main.ts <service>            one service of the registry, or the gateway (distributed mode)
//   main.ts --registry <module> [<service>]
//                                the same with another registry (a module exporting `registry`;
//                                tests run services defined in test code this way)
// DATABASE_URL and NATS_URL, when set, replace the embedded Postgres and the in-process bus.
import { resolve } from 'node:path';
import { loadSharedConfig } from '@cadre/config';
import { startTelemetry } from '@cadre/telemetry';

interface Args {
  readonly service: string;
  readonly registryModule: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let registryModule: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--registry') registryModule = argv[++i];
    else if (arg.startsWith('--registry=')) registryModule = arg.slice('--registry='.length);
    else rest.push(arg);
  }
  if (rest.length > 1) throw new Error(`one service at most, got: ${rest.join(' ')}`);
  return { service: rest[0] ?? process.env.SERVICE ?? 'cadre', registryModule };
}

const args = parseArgs(process.argv.slice(2));
const shared = loadSharedConfig();
// Telemetry first, in every process: its instrumentations patch http and pg, so they must load after it.
const telemetry = startTelemetry({
  serviceName: shared.OTEL_SERVICE_NAME ?? args.service,
  ...(shared.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: shared.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
});

/** Stops `stop` on SIGTERM / SIGINT (once), bounded by the grace period, then exits. */
function onSignals(log: (message: string, fields?: Record<string, unknown>) => void, stop: (signal: string) => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    log('stopping', { signal });
    // Bounded: a stuck part must not keep the process past the grace period.
    const force = setTimeout(() => {
      log('shutdown took too long', { graceMs: shared.SHUTDOWN_GRACE_MS });
      process.exit(1);
    }, shared.SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    stop(signal)
      .then(() => telemetry.shutdown())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  const { startCadre, startBanner, runService, registry: cadreRegistry } = await import('./index');
  const registry = args.registryModule === undefined
    ? cadreRegistry
    : ((await import(resolve(args.registryModule))) as { registry: typeof cadreRegistry }).registry;
  if (args.service !== 'cadre') {
    const service = await runService(args.service, registry);
    onSignals((message, fields) => service.logger.info(fields ?? {}, message), (signal) => service.shutdown(signal));
    return;
  }
  const cadre = await startCadre(process.env, { registry });
  onSignals((message, fields) => cadre.logger.info(fields ?? {}, message), (signal) => cadre.stop(signal));
  process.stderr.write(`${startBanner(cadre.url, {
    database: cadre.database.embedded ? 'embedded Postgres' : 'DATABASE_URL',
    bus: cadre.bus === 'nats' ? 'NATS (NATS_URL)' : 'embedded (in-process, durable in Postgres)',
    ...(cadre.database.embedded ? { dataDir: cadre.dataDir } : {}),
    host: cadre.host,
    ...(cadre.setupToken !== undefined ? { setupToken: cadre.setupToken } : {}),
  })}\n`);
}

main().catch((error: unknown) => {
  // A name the registry does not know is a usage error: say which names it knows, no stack.
  const usage = error instanceof Error && error.message.startsWith('unknown service');
  console.error(usage ? (error as Error).message : error);
  process.exit(usage ? 64 : 1);
});
