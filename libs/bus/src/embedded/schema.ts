import type { Db } from './db';

/**
 * The bus tables, as an append-only list of migrations (never edit a shipped one; add the next).
 * Each gets the quoted schema name and the NOTIFY channel.
 */
const MIGRATIONS: ReadonlyArray<(s: string, channel: string) => string> = [
  (s, channel) => `
    CREATE TABLE ${s}.stream_messages (
      seq bigint PRIMARY KEY,
      subject text NOT NULL,
      msg_id text NOT NULL UNIQUE,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      data bytea NOT NULL,
      time timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX stream_messages_time ON ${s}.stream_messages (time);

    -- Publishes are serialised by a transaction-scoped advisory lock and numbered max+1 inside
    -- it, so sequences commit in order with no gaps: a reader that sees seq N has already been
    -- able to see every seq below N (see events/publish.ts).
    CREATE FUNCTION ${s}.publish(p_subject text, p_msg_id text, p_headers jsonb, p_data bytea,
                                 OUT out_seq bigint, OUT out_duplicate boolean)
    LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('${s}.stream_messages'));
      SELECT m.seq INTO out_seq FROM ${s}.stream_messages m WHERE m.msg_id = p_msg_id;
      IF FOUND THEN
        out_duplicate := true;
        RETURN;
      END IF;
      SELECT coalesce(max(m.seq), 0) + 1 INTO out_seq FROM ${s}.stream_messages m;
      INSERT INTO ${s}.stream_messages (seq, subject, msg_id, headers, data)
        VALUES (out_seq, p_subject, p_msg_id, p_headers, p_data);
      out_duplicate := false;
    END
    $fn$;

    CREATE TABLE ${s}.consumers (
      name text PRIMARY KEY,
      filter text,
      ack_wait_ms integer NOT NULL,
      max_deliver integer,
      max_ack_pending integer NOT NULL,
      -- Every seq up to here has been handed out (or skipped by the filter); the ack floor is
      -- this or just below the lowest pending seq.
      delivered_seq bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Delivered but not yet acked: what a restarted process must redeliver.
    CREATE TABLE ${s}.consumer_pending (
      consumer text NOT NULL REFERENCES ${s}.consumers (name) ON DELETE CASCADE,
      seq bigint NOT NULL,
      deliveries integer NOT NULL,
      redeliver_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, seq)
    );
    CREATE INDEX consumer_pending_due ON ${s}.consumer_pending (consumer, redeliver_at);

    CREATE TABLE ${s}.jobs (
      job_id text PRIMARY KEY,
      queue text NOT NULL,
      msg_id text NOT NULL,
      data bytea NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      attempts integer NOT NULL DEFAULT 0,
      -- queued (waiting or leased) | done | dead; finished rows stay a while for deduplication.
      status text NOT NULL DEFAULT 'queued',
      -- When the job may be claimed: now, after a retry delay, or when the current lease ends.
      available_at timestamptz NOT NULL DEFAULT now(),
      attempt_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      UNIQUE (queue, msg_id)
    );
    CREATE INDEX jobs_ready ON ${s}.jobs (queue, available_at) WHERE status = 'queued';

    CREATE TABLE ${s}.blobs (
      bucket text NOT NULL,
      name text NOT NULL,
      blob_id text NOT NULL,
      size bigint NOT NULL,
      digest text,
      modified timestamptz NOT NULL,
      PRIMARY KEY (bucket, name)
    );
    CREATE TABLE ${s}.blob_chunks (
      blob_id text NOT NULL,
      idx integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (blob_id, idx)
    );
    -- Blob content is mostly compressed or binary already: skip the compression attempt.
    ALTER TABLE ${s}.blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

    -- Wake-ups for other processes on the same database (this process wakes itself directly).
    CREATE FUNCTION ${s}.notify_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM pg_notify('${channel}', 'e');
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER stream_messages_notify AFTER INSERT ON ${s}.stream_messages
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_events();
    CREATE FUNCTION ${s}.notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM pg_notify('${channel}', 'j:' || NEW.queue);
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER jobs_notify AFTER INSERT ON ${s}.jobs
      FOR EACH ROW EXECUTE FUNCTION ${s}.notify_jobs();
  `,
];

/**
 * Creates the schema and applies missing migrations in one transaction. The advisory lock
 * makes concurrent starts (several buses, several processes) wait for each other instead of
 * racing on CREATE.
 */
export async function migrate(db: Db): Promise<void> {
  const s = `"${db.schema}"`;
  await db.tx('migrate bus schema', async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('cadre_bus.migrate'), hashtext($1))`, [db.schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`);
    const applied = new Set(rows.map((r) => r.version));
    for (const [index, migration] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await client.query(migration(s, db.channel));
      await client.query(`INSERT INTO ${s}.migrations (version) VALUES ($1)`, [version]);
    }
  });
}
