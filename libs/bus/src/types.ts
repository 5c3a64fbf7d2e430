import type { Readable } from 'node:stream';

/**
 * The bus contract. Two transports implement it — NATS (JetStream, services API, object
 * store) and an embedded one for a single process (durable parts in Postgres) — and one
 * contract test suite runs against both.
 */

/** Message headers. Trace context travels as `traceparent` / `tracestate`. */
export type Headers = Readonly<Record<string, string>>;

// ---------------------------------------------------------------- request / reply

export interface RequestContext {
  readonly subject: string;
  readonly headers: Headers;
}

/** Handles one request; the return value is the reply. Throw a CadreError for a typed error reply. */
export type RequestHandler = (payload: unknown, context: RequestContext) => Promise<unknown> | unknown;

export interface ServiceDefinition {
  /** Service name, as `$SRV` discovery shows it (letters, digits, `-`, `_`). */
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  /** Queue group the replicas share (default `q`), so each request reaches one replica. */
  readonly queue?: string;
  /** Endpoints by subject. */
  readonly endpoints: Readonly<Record<string, RequestHandler>>;
}

export interface ServiceHandle {
  readonly name: string;
  /** Stops taking requests once the ones in flight have been answered. */
  stop(): Promise<void>;
}

export interface RequestOptions {
  /** How long to wait for the reply (default 5 s); then a TimeoutError. */
  readonly timeoutMs?: number;
  readonly headers?: Headers;
}

// ---------------------------------------------------------------- durable event stream

/** An event as it sits in the stream: its sequence is the resume position (SSE `id:`). */
export interface StreamMessage {
  readonly seq: number;
  readonly subject: string;
  /** The id given at publish (`Nats-Msg-Id`), used for deduplication. */
  readonly msgId: string;
  readonly headers: Headers;
  readonly data: Uint8Array;
  readonly time: Date;
  json<T = unknown>(): T;
}

export interface PublishOptions {
  /** Deduplication id (an event's id): a second publish with the same id is dropped. */
  readonly msgId: string;
  readonly headers?: Headers;
}

export interface PublishAck {
  readonly seq: number;
  /** True when the message had been published before and this publish was dropped. */
  readonly duplicate: boolean;
}

/** One message of `publishAll`. */
export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly options: PublishOptions;
}

/** What `publishAll` stored: an ack for each message stored (a prefix of those given), and what stopped the rest. */
export interface PublishAllResult {
  readonly acks: readonly PublishAck[];
  /** Why the messages after the acknowledged ones were not stored; undefined when all were. */
  readonly error?: unknown;
}

export type DeliverFrom =
  | { readonly kind: 'all' }
  | { readonly kind: 'new' }
  | { readonly kind: 'sequence'; readonly seq: number }
  | { readonly kind: 'time'; readonly time: Date };

export interface ConsumerOptions {
  /** Durable name, shared by the replicas of one consumer (letters, digits, `-`, `_`). */
  readonly durable: string;
  /** Subject filter with `*` and `>` wildcards (default: every event). */
  readonly filterSubject?: string;
  /** Where a new durable consumer starts (default all). Ignored when it already exists. */
  readonly deliverFrom?: DeliverFrom;
  /** Redelivered when not acked within this time (default 30 s). */
  readonly ackWaitMs?: number;
  /** Delivery attempts before the message is given up (default unlimited). */
  readonly maxDeliver?: number;
  /** Unacked messages handed out at once (default 256). */
  readonly maxAckPending?: number;
  /**
   * For a consumer whose work may lag a little (a safety net, a read model nobody waits on):
   * once woken by a publish, wait this long before taking what came, so that the messages of
   * that time are claimed, and their acks settled, together rather than one round trip each
   * (default 0). Redeliveries falling due, room freed under maxAckPending and the poll are
   * taken at once. The embedded bus honours it; NATS hands messages over as they come, acks
   * them one by one, and has no round trip to save, so there it changes nothing.
   */
  readonly lingerMs?: number;
}

export interface DeliveredMessage extends StreamMessage {
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  ack(): Promise<void>;
  /** Ask for redelivery, after `delayMs` when given. */
  nak(delayMs?: number): Promise<void>;
  /** Never deliver this message again to this consumer. */
  term(): Promise<void>;
  /** Extend the ack deadline (long work). */
  working(): Promise<void>;
}

export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface Subscription {
  /**
   * Stops delivery; messages in flight finish first. A handler may call it on its own
   * subscription but must not await it (that would wait for the handler itself).
   */
  stop(): Promise<void>;
  /** Resolves when the subscription ended (stopped or closed by the bus). */
  readonly closed: Promise<void>;
  /** The durable consumer it runs, on a subscription from `events.consume` (lag is reported by this name). */
  readonly durable?: string;
}

/** How far a durable consumer is behind the stream (JetStream's consumer info, or its embedded equivalent). */
export interface ConsumerLag {
  /** Stored messages matching its filter, past its position: not yet delivered (JetStream `num_pending`). */
  readonly pending: number;
  /** Delivered and neither acked nor termed yet, redeliveries waiting included (JetStream `num_ack_pending`). */
  readonly ackPending: number;
}

export interface ReplayOptions {
  /** First sequence to deliver (default 1). */
  readonly fromSeq?: number;
  readonly filterSubject?: string;
}

export interface EventStream {
  /** Publishes to the durable stream, deduplicated by `msgId`. Subjects start with `evt.`. */
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishAck>;
  /**
   * Publishes messages in the order given, as `publish` would one after another, and never
   * stores one without all those before it: the first that is not stored stops the rest. The
   * embedded bus stores them all or none, in one statement; NATS (no atomic batch before
   * server 2.12) one after the other, each after the last one's ack, stopping before the next
   * once `signal` is aborted. Every message is checked first: a ValidationError stores none.
   * The outbox relay publishes each stream's events with it, so that an append's events leave
   * in one round trip where the bus can take them so.
   */
  publishAll(messages: readonly OutgoingMessage[], options?: { readonly signal?: AbortSignal }): Promise<PublishAllResult>;
  /**
   * Runs a durable consumer: explicit ack, redelivery after the ack wait, bounded deliveries.
   * The handler acks, naks or terms; a handler that throws naks.
   */
  consume(options: ConsumerOptions, handler: MessageHandler): Promise<Subscription>;
  /**
   * Ordered delivery from a sequence, no state kept on the bus: every stored message from
   * `fromSeq` in order, then live ones, until stopped. What SSE resume is built on.
   */
  replay(options: ReplayOptions, handler: (message: StreamMessage) => Promise<void> | void): Promise<Subscription>;
  /** The sequence of the last stored message (0 when empty). */
  lastSeq(): Promise<number>;
  /** Deletes a durable consumer and its position. */
  deleteConsumer(durable: string): Promise<void>;
  /** How far the durable consumer is behind; undefined when there is no such consumer. */
  consumerLag(durable: string): Promise<ConsumerLag | undefined>;
}

// ---------------------------------------------------------------- work queues

export interface EnqueueOptions {
  /** Deduplication id: enqueuing the same id twice queues one job. */
  readonly msgId?: string;
  readonly headers?: Headers;
}

export interface WorkerOptions {
  /** Time a job may run without a heartbeat before it is handed to another worker (default 30 s). */
  readonly ackWaitMs?: number;
  /** Attempts before the job is dead-lettered (default 5). */
  readonly maxAttempts?: number;
  /** Jobs this worker runs at once (default 1). */
  readonly concurrency?: number;
}

export interface Job {
  /** Unique per delivery attempt, so a redelivered job can be told from its first try. */
  readonly attemptId: string;
  /** The queue's own id of the job (stable across attempts). */
  readonly jobId: string;
  readonly queue: string;
  readonly attempt: number;
  readonly headers: Headers;
  readonly data: Uint8Array;
  json<T = unknown>(): T;
  /** Heartbeat: extends the ack deadline of a long job. */
  working(): Promise<void>;
  /** Ask for a retry after `delayMs` (counts as an attempt). */
  nak(delayMs?: number): Promise<void>;
  /** Fail for good: no more attempts; a dead letter is written. */
  term(reason?: string): Promise<void>;
}

/** Handles a job. Returning acks it; throwing retries it (with backoff) until maxAttempts. */
export type JobHandler = (job: Job) => Promise<void>;

/**
 * A job that gave up, in full: its body and headers, and why. The bus keeps it in its
 * `deadletters` blob bucket (admins read it back with `WorkQueue.deadLetter`) and sends it on
 * the ephemeral `deadletter.<queue>` subject; the event stream gets only the `job_dead_lettered`
 * event (queue, job id, attempts, a bounded reason), never the body.
 */
export interface DeadLetter {
  readonly queue: string;
  readonly jobId: string;
  readonly attempts: number;
  /** What the handler said (the error's message or the reason given to `term`), unshortened. */
  readonly reason: string;
  readonly data: string; // base64
  readonly headers: Headers;
  /** When the job was dead-lettered (ISO 8601). */
  readonly time: string;
}

/** A dead letter in a listing: no body, no headers, and the reason as the event carries it. */
export interface DeadLetterSummary {
  readonly queue: string;
  readonly jobId: string;
  readonly attempts: number;
  /** Bounded, with the job body masked (the same text as the `job_dead_lettered` event's). */
  readonly reason: string;
  readonly time: string;
}

export interface DeadLetterListOptions {
  /** Only this queue's letters (default every queue's). */
  readonly queue?: string;
  /** Letters per page (default 50, at most 500). */
  readonly limit?: number;
  /** Where the previous page ended (its `nextCursor`). */
  readonly cursor?: string;
}

export interface DeadLetterPage {
  /** Newest first. */
  readonly letters: readonly DeadLetterSummary[];
  /** Present when more letters follow: pass it as `cursor` for the next page. */
  readonly nextCursor?: string;
}

export interface WorkQueue {
  readonly name: string;
  enqueue(data: Uint8Array, options?: EnqueueOptions): Promise<{ readonly jobId: string; readonly duplicate: boolean }>;
  process(handler: JobHandler, options?: WorkerOptions): Promise<Subscription>;
  /** Jobs waiting or in flight. */
  depth(): Promise<number>;
  /** The dead letter of one of this queue's jobs, with its body; undefined when there is none. */
  deadLetter(jobId: string): Promise<DeadLetter | undefined>;
}

// ---------------------------------------------------------------- blobs

export interface BlobInfo {
  readonly bucket: string;
  readonly name: string;
  readonly size: number;
  readonly modified: Date;
  readonly digest?: string;
}

export interface BlobStore {
  readonly bucket: string;
  /** Stores a blob (streamed in chunks), replacing one of the same name. */
  put(name: string, content: Readable | Uint8Array): Promise<BlobInfo>;
  /** The content as a stream, or undefined when there is no such blob. */
  get(name: string): Promise<Readable | undefined>;
  info(name: string): Promise<BlobInfo | undefined>;
  /** True when a blob was deleted. */
  delete(name: string): Promise<boolean>;
  list(): Promise<BlobInfo[]>;
}

// ---------------------------------------------------------------- ephemeral pub/sub

export interface EphemeralMessage {
  readonly subject: string;
  readonly headers: Headers;
  readonly data: Uint8Array;
  json<T = unknown>(): T;
}

export interface Ephemeral {
  /** Fire and forget; nobody listening is not an error. */
  publish(subject: string, data: Uint8Array, headers?: Headers): void;
  /** Delivers matching messages while subscribed (`queue` shares them among subscribers). */
  subscribe(subject: string, handler: (message: EphemeralMessage) => void, options?: { queue?: string }): Subscription;
}

// ---------------------------------------------------------------- the bus

export interface Bus {
  readonly transport: 'nats' | 'embedded';
  serve(definition: ServiceDefinition): Promise<ServiceHandle>;
  /** Sends a request; the reply payload, or a CadreError (UnavailableError when nobody serves the subject). */
  request<T = unknown>(subject: string, payload: unknown, options?: RequestOptions): Promise<T>;
  readonly events: EventStream;
  workQueue(name: string): WorkQueue;
  /** The dead letters kept, newest first, one page at a time (bodies are read per job with `WorkQueue.deadLetter`). */
  deadLetters(options?: DeadLetterListOptions): Promise<DeadLetterPage>;
  blobs(bucket: string): Promise<BlobStore>;
  readonly ephemeral: Ephemeral;
  /** True while connected to its broker or database. */
  isHealthy(): boolean;
  /** Stops services and consumers after their in-flight work, then closes. */
  drain(): Promise<void>;
}
