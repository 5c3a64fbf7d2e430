import { loadSharedConfig } from '@cadre/config';
import { startTelemetry } from '@cadre/telemetry';

// Telemetry first: its instrumentations patch http and pg, so they must load after it.
const shared = loadSharedConfig();
startTelemetry({
  serviceName: shared.OTEL_SERVICE_NAME ?? 'gateway',
  ...(shared.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: shared.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
});

import('./replica')
  .then(({ runReplica }) => runReplica(shared))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
