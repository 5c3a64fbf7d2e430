export { freePort, waitForPort } from './ports';
export { startNats, type TestNats, type StartNatsOptions } from './nats-server';
export { startEmbeddedPostgres, type EmbeddedPostgresServer, type EmbeddedPostgresOptions } from './postgres-server';
export { createTestDatabase, sharedServerUrl, SHARED_PG_ENV, type TestDatabase } from './postgres';
export { dockerAvailable } from './docker';
export { eventually } from './eventually';
export { parsePrometheus, promValue, type PromSample } from './prometheus';
export { deciderSpec, type DeciderSpec, type DecisionChecks, type ExpectedError, type WhenSpec } from './decider-spec';
export { startOtlpReceiver, decodeOtlpJsonTraces, type OtlpReceiver, type OtlpSpan, type OtlpSpanKind, type OtlpRequest, type OtlpValue } from './otlp-receiver';
