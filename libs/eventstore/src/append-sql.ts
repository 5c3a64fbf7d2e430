import { createHash } from 'node:crypto';
import type { Alongside } from './types';

/** A prepared statement as node-postgres takes it: parsed and planned once per connection. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/** The append statements of one schema: for a single event, for several, and either with writes alongside. */
export interface AppendStatements {
  readonly one: NamedStatement;
  readonly many: NamedStatement;
  /** Several appends (of version 'any', or one a stream at an expected version) in one statement (see batchSql). */
  readonly batch: NamedStatement;
  /**
   * The statement with writes alongside (see Alongside), named once per key and form; a key
   * whose writes come with another text than the first time is a mistake, and throws.
   */
  alongside(many: boolean, alongside: Alongside): NamedStatement;
}

/** Parameters of the append itself; those of the writes alongside follow. */
const APPEND_PARAMETERS = 9;

/**
 * One statement does the whole append, so it is atomic without an explicit transaction and
 * costs one round trip: read the stream's version, insert the events if it is the expected one,
 * insert the append's outbox row and, when asked, NOTIFY the relay (delivered at commit). Two
 * writers that both pass the version check collide on UNIQUE(stream_id, version); the loser
 * fails. It returns one row (the stream's version before, the last position), none when the
 * expected version did not match.
 *
 * Each event is written once: the outbox gets one row per append (stream, first version, the
 * subjects) keyed by its first position, and the relay reads the events rows themselves.
 *
 * The shape is kept small because plan nodes, not the writing, dominate a one-event append:
 * a single event binds scalars and needs no aggregate (executor time measured at about 32 µs,
 * against 50 µs for the array form and 77 µs for the earlier JSON-document form). Several
 * events come as parallel typed arrays (unnest WITH ORDINALITY) ordered by ordinality, so that
 * positions follow versions within the append (the planner knows that order: no sort runs);
 * the first position is then the smallest.
 *
 * Parameters: $1 stream id, $2 expected version (null = any); $3 id, $4 type, $5 data and
 * $6 meta (JSON text), $7 occurred_at, $8 subject (scalars for one event, arrays in event order
 * for several); $9 NOTIFY channel (null = the caller wakes the relay); from $10 those of the
 * writes alongside, CTEs after `ins` that the CTE `appended` lets write only when events went in.
 */
function appendSql(schema: string, many: boolean, alongside?: Alongside): string {
  const events = `"${schema}".events`;
  const outbox = `"${schema}".outbox`;
  const rows = many
    ? `SELECT e.id, $1, cur.v + e.ord::int, e.type, e.data, e.meta, e.occurred_at
       FROM cur, unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])
                   WITH ORDINALITY AS e(id, type, data, meta, occurred_at, ord)
       WHERE $2::int IS NULL OR cur.v = $2::int
       ORDER BY e.ord`
    : `SELECT $3::uuid, $1, cur.v + 1, $4::text, $5::jsonb, $6::jsonb, $7::timestamptz
       FROM cur
       WHERE $2::int IS NULL OR cur.v = $2::int`;
  const outboxRow = many
    ? 'SELECT min(position), $1, min(version), $8::text[] FROM ins HAVING count(*) > 0'
    : 'SELECT position, $1, version, ARRAY[$8::text] FROM ins';
  const lastPosition = many ? '(SELECT max(position) FROM ins)' : 'position';
  return `
    WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM ${events} WHERE stream_id = $1),
    ins AS (
      INSERT INTO ${events} (id, stream_id, version, type, data, meta, occurred_at)
      ${rows}
      RETURNING position, version
    )${alongside === undefined ? '' : `,
    appended AS (SELECT 1 FROM ins LIMIT 1),
    ${alongside.ctes((index) => `$${APPEND_PARAMETERS + index}`)}`}
    INSERT INTO ${outbox} (position, stream_id, first_version, subjects)
    ${outboxRow}
    RETURNING ${lastPosition}::text AS last_position, (SELECT v FROM cur) AS current_version,
              (SELECT count(*) FROM (SELECT pg_notify($9, '') WHERE $9::text IS NOT NULL) n)::int AS notified`;
}

/**
 * Several appends, to one stream or many, in one statement: what an append costs Postgres and
 * the client (a round trip, a transaction, a socket write) is paid once for all. The events come
 * as parallel arrays grouped by stream, each stream's in the order appended, so a stream's events
 * take consecutive positions and each stream gets one outbox row, as one append of them all
 * would. Each stream's version is read in the statement, as for a single append. A stream's
 * appends are either all of version 'any' (expected null) or one with an expected version: a
 * stream not at that version gets nothing written, and the others go on. Two writers racing for
 * a stream collide on UNIQUE(stream_id, version) and the batch is tried again.
 *
 * Parameters: $1 stream ids, $2 ids, $3 types, $4 data and $5 meta (JSON text), $6 occurred_at,
 * $7 subjects, $9 the expected version of the event's stream (null: any) (arrays, one element
 * per event); $8 the NOTIFY channel (null = the caller wakes the relay). Returns a row per event
 * in the order given: its position and version (null when its stream was not at the expected
 * version), and its stream's version before the statement.
 */
function batchSql(schema: string): string {
  const events = `"${schema}".events`;
  const outbox = `"${schema}".outbox`;
  return `
    WITH e AS (
      SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[], $7::text[], $9::int[])
                    WITH ORDINALITY AS e(stream_id, id, type, data, meta, occurred_at, subject, expected, ord)
    ),
    cur AS (
      SELECT s.stream_id, s.expected, coalesce((SELECT max(version) FROM ${events} WHERE stream_id = s.stream_id), 0)::int AS v
      FROM (SELECT stream_id, max(expected) AS expected FROM e GROUP BY stream_id) s
    ),
    numbered AS (
      SELECT e.*, (cur.v + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.ord))::int AS version
      FROM e JOIN cur USING (stream_id)
      WHERE cur.expected IS NULL OR cur.expected = cur.v
    ),
    ins AS (
      INSERT INTO ${events} (id, stream_id, version, type, data, meta, occurred_at)
      SELECT id, stream_id, version, type, data, meta, occurred_at FROM numbered ORDER BY ord
      RETURNING position, stream_id, version
    ),
    box AS (
      INSERT INTO ${outbox} (position, stream_id, first_version, subjects)
      SELECT min(i.position), n.stream_id, min(n.version), array_agg(n.subject ORDER BY n.version)
      FROM ins i JOIN numbered n USING (stream_id, version)
      GROUP BY n.stream_id
    )
    SELECT i.position::text AS position, i.version, cur.v AS current_version,
           (SELECT count(*) FROM (SELECT pg_notify($8, '') WHERE $8::text IS NOT NULL) n)::int AS notified
    FROM e JOIN cur USING (stream_id)
    LEFT JOIN numbered n ON n.ord = e.ord
    LEFT JOIN ins i ON i.stream_id = n.stream_id AND i.version = n.version
    ORDER BY e.ord`;
}

/**
 * Names a statement of the store: Postgres keeps 63 bytes of a name, and a schema may take 48, so
 * the schema (and the key of writes alongside) go in as a digest, which no two share.
 */
function statementName(form: string, ...parts: string[]): string {
  return `cadre_append_${form}_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;
}

/** The statements of `schema`, named uniquely per schema (and key). */
export function appendStatements(schema: string): AppendStatements {
  const made = new Map<string, NamedStatement>();
  return {
    one: { name: statementName('one', schema), text: appendSql(schema, false) },
    many: { name: statementName('many', schema), text: appendSql(schema, true) },
    batch: { name: statementName('batch', schema), text: batchSql(schema) },
    alongside(many, alongside) {
      const text = appendSql(schema, many, alongside);
      // Named (a digest) the first time a key comes; after that its text is only compared.
      const form = `${many ? 'many' : 'one'}\u0000${alongside.key}`;
      const known = made.get(form);
      if (known === undefined) {
        const statement = { name: statementName(many ? 'with_many' : 'with_one', schema, alongside.key), text };
        made.set(form, statement);
        return statement;
      }
      if (known.text !== text) throw new Error(`writes alongside an append: key ${alongside.key} came with another statement`);
      return known;
    },
  };
}
