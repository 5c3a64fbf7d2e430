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
  // A durable consumer's claim in one round trip (it was a transaction of up to nine statements
  // from the client): see events/claim.ts for what it does and why. The filter comes compiled by
  // the caller (events/filter.ts, the one translation of subject filters to SQL), with the filter
  // text it was compiled from; a consumer whose stored filter is another (re-created meanwhile)
  // claims nothing and answers with its filter, for the caller to compile and ask again.
  // The first row describes the claim (seq NULL); the claimed messages follow in seq order.
  (s) => `
    CREATE FUNCTION ${s}.claim(p_consumer text, p_want integer, p_filter text, p_exact text, p_like text, p_regex text)
    RETURNS TABLE (seq bigint, deliveries integer, subject text, msg_id text, headers jsonb, data bytea, "time" timestamptz,
                   gone boolean, filter text, ack_wait_ms integer, due_ms float8, limited boolean)
    LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    DECLARE
      c ${s}.consumers%ROWTYPE;
      v_seqs bigint[];
      v_deliveries integer[];
      v_room integer;
      v_new bigint[];
      v_last bigint;
      v_next bigint;
      v_due float8;
      v_capacity integer;
      v_limited boolean := false;
    BEGIN
      -- Replicas share the consumer through the lock on its row, held until this claim commits.
      SELECT * INTO c FROM ${s}.consumers x WHERE x.name = p_consumer FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                            true, NULL::text, NULL::integer, NULL::float8, NULL::boolean;
        RETURN;
      END IF;
      IF c.filter IS DISTINCT FROM p_filter THEN
        RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                            false, c.filter, c.ack_wait_ms, NULL::float8, NULL::boolean;
        RETURN;
      END IF;
      IF c.max_deliver IS NOT NULL THEN
        -- Out of deliveries: given up, like JetStream does once max_deliver is reached.
        DELETE FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer AND p.redeliver_at <= now() AND p.deliveries >= c.max_deliver;
      END IF;
      WITH due AS (
             SELECT p.seq FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer AND p.redeliver_at <= now() ORDER BY p.seq LIMIT p_want),
           redelivered AS (
             UPDATE ${s}.consumer_pending p SET deliveries = p.deliveries + 1, redeliver_at = now() + c.ack_wait_ms * interval '1 millisecond'
               FROM due WHERE p.consumer = p_consumer AND p.seq = due.seq
             RETURNING p.seq, p.deliveries)
      SELECT coalesce(array_agg(r.seq), '{}'), coalesce(array_agg(r.deliveries), '{}') INTO v_seqs, v_deliveries FROM redelivered r;
      v_capacity := c.max_ack_pending - (SELECT count(*)::int FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer);
      v_room := least(p_want - cardinality(v_seqs), v_capacity);
      v_limited := v_capacity < p_want - cardinality(v_seqs);
      IF v_room > 0 THEN
        -- The scan and the stream head in one statement (one snapshot): when fewer than v_room
        -- matched, everything up to the head has been seen and the position jumps there, so
        -- messages the filter skips are scanned once, not on every claim.
        SELECT (SELECT coalesce(max(m.seq), 0) FROM ${s}.stream_messages m),
               coalesce((SELECT array_agg(picked.seq ORDER BY picked.seq) FROM (
                 SELECT m.seq FROM ${s}.stream_messages m
                  WHERE m.seq > c.delivered_seq
                    AND (p_exact IS NULL OR m.subject = p_exact)
                    AND (p_like IS NULL OR (m.subject LIKE p_like AND m.subject ~ p_regex))
                  ORDER BY m.seq LIMIT v_room) picked), '{}')
          INTO v_last, v_new;
        v_next := CASE WHEN cardinality(v_new) < v_room THEN greatest(c.delivered_seq, v_last) ELSE v_new[cardinality(v_new)] END;
        IF cardinality(v_new) > 0 THEN
          INSERT INTO ${s}.consumer_pending (consumer, seq, deliveries, redeliver_at)
            SELECT p_consumer, n, 1, now() + c.ack_wait_ms * interval '1 millisecond' FROM unnest(v_new) AS n;
          v_seqs := v_seqs || v_new;
          v_deliveries := v_deliveries || array_fill(1, ARRAY[cardinality(v_new)]);
        END IF;
        IF v_next <> c.delivered_seq THEN
          UPDATE ${s}.consumers x SET delivered_seq = v_next WHERE x.name = p_consumer;
        END IF;
      END IF;
      SELECT (extract(epoch FROM min(p.redeliver_at) - now()) * 1000)::float8 INTO v_due FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer;
      -- limited: maxAckPending, not p_want, bounded this claim (a settle may make room for more).
      RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                          false, c.filter, c.ack_wait_ms, v_due, v_limited;
      -- By the primary key (= ANY): the plan kept for this statement must not scan the stream.
      RETURN QUERY SELECT m.seq, d.deliveries, m.subject, m.msg_id, m.headers, m.data, m.time,
                          false, NULL::text, NULL::integer, NULL::float8, NULL::boolean
        FROM ${s}.stream_messages m JOIN unnest(v_seqs, v_deliveries) AS d(seq, deliveries) ON d.seq = m.seq
       WHERE m.seq = ANY (v_seqs)
       ORDER BY m.seq;
    END
    $fn$;
  `,
  // The claim's scan bounded to a window of the stream past the consumer's position, and
  // `behind` in its answer: the window, not the room, ended the claim, so the caller claims
  // again at once (see the scan's comment).
  (s) => `
    DROP FUNCTION ${s}.claim(text, integer, text, text, text, text);
    CREATE FUNCTION ${s}.claim(p_consumer text, p_want integer, p_filter text, p_exact text, p_like text, p_regex text)
    RETURNS TABLE (seq bigint, deliveries integer, subject text, msg_id text, headers jsonb, data bytea, "time" timestamptz,
                   gone boolean, filter text, ack_wait_ms integer, due_ms float8, limited boolean, behind boolean)
    LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    DECLARE
      c ${s}.consumers%ROWTYPE;
      v_seqs bigint[];
      v_deliveries integer[];
      v_room integer;
      v_new bigint[];
      v_last bigint;
      v_next bigint;
      v_due float8;
      v_capacity integer;
      v_limited boolean := false;
      v_behind boolean := false;
      -- Most messages of the stream one claim looks at past the position (see the scan below).
      v_window constant bigint := 1024;
    BEGIN
      -- Replicas share the consumer through the lock on its row, held until this claim commits.
      SELECT * INTO c FROM ${s}.consumers x WHERE x.name = p_consumer FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                            true, NULL::text, NULL::integer, NULL::float8, NULL::boolean, NULL::boolean;
        RETURN;
      END IF;
      IF c.filter IS DISTINCT FROM p_filter THEN
        RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                            false, c.filter, c.ack_wait_ms, NULL::float8, NULL::boolean, NULL::boolean;
        RETURN;
      END IF;
      IF c.max_deliver IS NOT NULL THEN
        -- Out of deliveries: given up, like JetStream does once max_deliver is reached.
        DELETE FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer AND p.redeliver_at <= now() AND p.deliveries >= c.max_deliver;
      END IF;
      WITH due AS (
             SELECT p.seq FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer AND p.redeliver_at <= now() ORDER BY p.seq LIMIT p_want),
           redelivered AS (
             UPDATE ${s}.consumer_pending p SET deliveries = p.deliveries + 1, redeliver_at = now() + c.ack_wait_ms * interval '1 millisecond'
               FROM due WHERE p.consumer = p_consumer AND p.seq = due.seq
             RETURNING p.seq, p.deliveries)
      SELECT coalesce(array_agg(r.seq), '{}'), coalesce(array_agg(r.deliveries), '{}') INTO v_seqs, v_deliveries FROM redelivered r;
      v_capacity := c.max_ack_pending - (SELECT count(*)::int FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer);
      v_room := least(p_want - cardinality(v_seqs), v_capacity);
      v_limited := v_capacity < p_want - cardinality(v_seqs);
      IF v_room > 0 THEN
        -- The scan and the stream head in one statement (one snapshot). The scan looks at most
        -- v_window messages past the position: sequences have no gaps, so that is a range of at
        -- most v_window keys, which the primary key's index reads and nothing else (unbounded,
        -- a consumer far behind with a narrow filter had every claim read all of its backlog,
        -- then sort what matched).
        -- When fewer than v_room matched, everything up to the window's end (or the head, if
        -- nearer) has been seen and the position jumps there, so messages the filter skips are
        -- scanned once, not on every claim; behind says the window, not the room, stopped it.
        SELECT (SELECT coalesce(max(m.seq), 0) FROM ${s}.stream_messages m),
               coalesce((SELECT array_agg(picked.seq ORDER BY picked.seq) FROM (
                 SELECT m.seq FROM ${s}.stream_messages m
                  WHERE m.seq > c.delivered_seq AND m.seq <= c.delivered_seq + v_window
                    AND (p_exact IS NULL OR m.subject = p_exact)
                    AND (p_like IS NULL OR (m.subject LIKE p_like AND m.subject ~ p_regex))
                  ORDER BY m.seq LIMIT v_room) picked), '{}')
          INTO v_last, v_new;
        IF cardinality(v_new) < v_room THEN
          v_next := greatest(c.delivered_seq, least(v_last, c.delivered_seq + v_window));
          v_behind := v_next < v_last;
        ELSE
          v_next := v_new[cardinality(v_new)];
        END IF;
        IF cardinality(v_new) > 0 THEN
          INSERT INTO ${s}.consumer_pending (consumer, seq, deliveries, redeliver_at)
            SELECT p_consumer, n, 1, now() + c.ack_wait_ms * interval '1 millisecond' FROM unnest(v_new) AS n;
          v_seqs := v_seqs || v_new;
          v_deliveries := v_deliveries || array_fill(1, ARRAY[cardinality(v_new)]);
        END IF;
        IF v_next <> c.delivered_seq THEN
          UPDATE ${s}.consumers x SET delivered_seq = v_next WHERE x.name = p_consumer;
        END IF;
      END IF;
      SELECT (extract(epoch FROM min(p.redeliver_at) - now()) * 1000)::float8 INTO v_due FROM ${s}.consumer_pending p WHERE p.consumer = p_consumer;
      -- limited: maxAckPending, not p_want, bounded this claim (a settle may make room for more).
      RETURN QUERY SELECT NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::bytea, NULL::timestamptz,
                          false, c.filter, c.ack_wait_ms, v_due, v_limited, v_behind;
      -- By the primary key (= ANY): the plan kept for this statement must not scan the stream.
      RETURN QUERY SELECT m.seq, d.deliveries, m.subject, m.msg_id, m.headers, m.data, m.time,
                          false, NULL::text, NULL::integer, NULL::float8, NULL::boolean, NULL::boolean
        FROM ${s}.stream_messages m JOIN unnest(v_seqs, v_deliveries) AS d(seq, deliveries) ON d.seq = m.seq
       WHERE m.seq = ANY (v_seqs)
       ORDER BY m.seq;
    END
    $fn$;
  `,
  // Several messages in one call: the stream's lock and its head read once, one index lookup a
  // message for its msgId, and the new messages inserted by one statement, where `publish`
  // called once a message ran four statements each (measured on these tables, backend CPU a
  // message: 54 against 27 µs in groups of 20, 64 against 40 in groups of 8, the same for one).
  // Same answers as `publish` called in order: a msgId already stored, or met earlier in the
  // call, is a duplicate with the sequence of the message it repeats; the new ones are numbered
  // from the head in their order, with no gaps. A lookup a message rather than one join: a
  // join's plan, kept from a call when the stream was small, read the whole stream each call.
  (s) => `
    CREATE FUNCTION ${s}.publish_many(p_subjects text[], p_msg_ids text[], p_headers jsonb[], p_data bytea[])
    RETURNS TABLE (seq bigint, duplicate boolean)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_next bigint;
      v_seqs bigint[] := '{}';
      v_duplicates boolean[] := '{}';
      v_fresh integer[] := '{}';
      v_seq bigint;
      v_first integer;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('${s}.stream_messages'));
      -- A statement of its own after the lock: its snapshot sees every publish before this one.
      SELECT coalesce(max(x.seq), 0) INTO v_next FROM ${s}.stream_messages x;
      FOR i IN 1 .. coalesce(cardinality(p_msg_ids), 0) LOOP
        v_first := array_position(p_msg_ids, p_msg_ids[i]);
        IF v_first < i THEN
          v_seqs := v_seqs || v_seqs[v_first];
          v_duplicates := v_duplicates || true;
          CONTINUE;
        END IF;
        SELECT x.seq INTO v_seq FROM ${s}.stream_messages x WHERE x.msg_id = p_msg_ids[i];
        IF FOUND THEN
          v_seqs := v_seqs || v_seq;
          v_duplicates := v_duplicates || true;
        ELSE
          v_next := v_next + 1;
          v_seqs := v_seqs || v_next;
          v_duplicates := v_duplicates || false;
          v_fresh := v_fresh || i;
        END IF;
      END LOOP;
      IF cardinality(v_fresh) > 0 THEN
        INSERT INTO ${s}.stream_messages (seq, subject, msg_id, headers, data)
          SELECT v_seqs[f], p_subjects[f], p_msg_ids[f], p_headers[f], p_data[f] FROM unnest(v_fresh) AS f;
      END IF;
      RETURN QUERY SELECT u.seq, u.duplicate FROM unnest(v_seqs, v_duplicates) WITH ORDINALITY AS u(seq, duplicate, ord) ORDER BY u.ord;
    END
    $fn$;
  `,
  // A pending message no longer checks its consumer's row: the claim that inserts it holds that
  // row's lock already, and the deletion of a consumer removes its pending messages itself
  // (events/stream.ts deleteConsumer). The check was a trigger and a lookup for each message a
  // claim handed out (about a third of what the claim's insert cost in the orchestration
  // benchmark's burst, measured with pg_stat_statements).
  (s) => `
    ALTER TABLE ${s}.consumer_pending DROP CONSTRAINT IF EXISTS consumer_pending_consumer_fkey;
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
