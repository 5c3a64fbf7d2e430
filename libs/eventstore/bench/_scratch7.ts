// @ts-nocheck
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { appendStatements } from '../src/append-sql';
import { appendSql as origSql } from '../_before/src/append';
import { createEventStore as createOld } from '../_before/src';
import { shopRegistry } from '../src/test-support/events';

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const q = (v: unknown): string => v === null ? 'NULL' : Array.isArray(v) ? `ARRAY[${v.map(q).join(',')}]` : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry() });
  await store.close();
  await (await createOld({ databaseUrl: pg.url, schema: 'old', registry: shopRegistry() })).close();
  const c = new Client({ connectionString: pg.url });
  await c.connect();
  await c.query(`CREATE TABLE raw_ev (id uuid PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`);
  await c.query(`CREATE TABLE ev_only (LIKE shop.events INCLUDING ALL)`);
  await c.query(`CREATE TABLE shop.outbox2 (position bigint PRIMARY KEY, stream_id text NOT NULL, first_version int NOT NULL, subjects text[] NOT NULL)`);
  const valuesSql = (n: number) => `WITH ins AS (
        INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord, e.type, e.data, e.meta, e.occurred_at
        FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur,
             (VALUES ${Array.from({ length: n }, (_, k) => `($${5 + k * 5}::uuid, $${6 + k * 5}::text, $${7 + k * 5}::jsonb, $${8 + k * 5}::jsonb, $${9 + k * 5}::timestamptz, ${k + 1})`).join(', ')}) AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int
        ORDER BY e.ord
        RETURNING position, version)
      INSERT INTO shop.outbox (position, subject)
      SELECT position, ($3::text[])[version - (SELECT min(version) FROM ins) + 1] FROM ins
      RETURNING position, (SELECT min(version) FROM ins) AS first_version, (SELECT count(*) FROM (SELECT pg_notify($4, '') WHERE $4::text IS NOT NULL) n) AS notified`;
  const flat1 = `WITH ins AS (INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT $3::uuid, $1, v + 1, $4, $5::jsonb, $6::jsonb, $7::timestamptz FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur WHERE $2::int IS NULL OR v = $2::int RETURNING position)
        INSERT INTO shop.outbox (position, subject) SELECT position, $8 FROM ins RETURNING position`;
  let s = 0;
  for (const per of [1, 10]) {
    const ev = () => Array.from({ length: per }, () => ({ id: uuidv7(), type: 'tick', data: '{"n":1}', meta: '{"schemaVersion":1}', at: new Date().toISOString(), subject: 'evt.shop.tick.x' }));
    const variants: Record<string, { sig: string; sql: string; args: (stream: string, v: number) => unknown[] } | undefined> = {
      raw: { sig: Array.from({ length: per }, () => 'uuid,text,int,text,jsonb,jsonb,timestamptz').join(','), sql: `INSERT INTO raw_ev (id, stream_id, version, type, data, meta, occurred_at) VALUES ${Array.from({ length: per }, (_, k) => `(${Array.from({ length: 7 }, (_, c) => `$${k * 7 + c + 1}`).join(',')})`).join(',')}`,
        args: (st, v) => ev().flatMap((e, k) => [e.id, st, v + k + 1, e.type, e.data, e.meta, e.at]) },
      events3idx: { sig: Array.from({ length: per }, () => 'uuid,text,int,text,jsonb,jsonb,timestamptz').join(','), sql: `INSERT INTO ev_only (id, stream_id, version, type, data, meta, occurred_at) VALUES ${Array.from({ length: per }, (_, k) => `(${Array.from({ length: 7 }, (_, c) => `$${k * 7 + c + 1}`).join(',')})`).join(',')}`,
        args: (st, v) => ev().flatMap((e, k) => [e.id, st, v + k + 1, e.type, e.data, e.meta, e.at]) },
      original: { sig: 'text,jsonb,int,text', sql: origSql('old').replace("pg_notify($4, '') FROM ins", "pg_notify($4, '') FROM ins WHERE $4 IS NOT NULL"), args: (st, v) => [st, JSON.stringify(ev().map((x) => ({ id: x.id, type: x.type, data: JSON.parse(x.data), meta: JSON.parse(x.meta), occurred_at: x.at, subject: x.subject }))), v, null] },
      final: per === 1
        ? { sig: 'text,int,uuid,text,jsonb,jsonb,timestamptz,text,text', sql: appendStatements('shop').one.text, args: (st, v) => { const x = ev()[0]!; return [st, v, x.id, x.type, x.data, x.meta, x.at, x.subject, null]; } }
        : { sig: 'text,int,uuid[],text[],jsonb[],jsonb[],timestamptz[],text[],text', sql: appendStatements('shop').many.text, args: (st, v) => { const e = ev(); return [st, v, e.map((x) => x.id), e.map((x) => x.type), e.map((x) => x.data), e.map((x) => x.meta), e.map((x) => x.at), e.map((x) => x.subject), null]; } },
      _values0: { sig: 'text,int,text[],text' + Array.from({ length: per }, () => ',uuid,text,jsonb,jsonb,timestamptz').join(''), sql: valuesSql(per), args: (st, v) => { const e = ev(); return [st, v, e.map((x) => x.subject), null, ...e.flatMap((x) => [x.id, x.type, x.data, x.meta, x.at])]; } },
      _leanUnnest: { sig: 'text,int,uuid[],text[],jsonb[],jsonb[],timestamptz[],text[],text', sql: `WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1),
        ins AS (INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord::int, e.type, e.data, e.meta, e.occurred_at
        FROM cur, unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int ORDER BY e.ord RETURNING position, version)
        INSERT INTO shop.outbox (position, subject) SELECT ins.position, ($8::text[])[ins.version - cur.v] FROM ins, cur
        RETURNING position, (SELECT v FROM cur) AS current_version, (SELECT count(*) FROM (SELECT pg_notify($9, '') WHERE $9::text IS NOT NULL) n) AS notified`,
        args: (st, v) => { const e = ev(); return [st, v, e.map((x) => x.id), e.map((x) => x.type), e.map((x) => x.data), e.map((x) => x.meta), e.map((x) => x.at), e.map((x) => x.subject), null]; } },
      _leanUnnestNoSort: { sig: 'text,int,uuid[],text[],jsonb[],jsonb[],timestamptz[],text[],text', sql: `WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1),
        ins AS (INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord::int, e.type, e.data, e.meta, e.occurred_at
        FROM cur, unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int RETURNING position, version)
        INSERT INTO shop.outbox (position, subject) SELECT ins.position, ($8::text[])[ins.version - cur.v] FROM ins, cur
        RETURNING position, (SELECT v FROM cur) AS current_version, (SELECT count(*) FROM (SELECT pg_notify($9, '') WHERE $9::text IS NOT NULL) n) AS notified`,
        args: (st, v) => { const e = ev(); return [st, v, e.map((x) => x.id), e.map((x) => x.type), e.map((x) => x.data), e.map((x) => x.meta), e.map((x) => x.at), e.map((x) => x.subject), null]; } },
      _leanValues: { sig: 'text,int,text[],text' + Array.from({ length: per }, () => ',uuid,text,jsonb,jsonb,timestamptz').join(''), sql: `WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1),
        ins AS (INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord, e.type, e.data, e.meta, e.occurred_at
        FROM cur, (VALUES ${Array.from({ length: per }, (_, k) => `($${5 + k * 5}::uuid, $${6 + k * 5}::text, $${7 + k * 5}::jsonb, $${8 + k * 5}::jsonb, $${9 + k * 5}::timestamptz, ${k + 1})`).join(', ')}) AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int ${per > 1 ? 'ORDER BY e.ord' : ''} RETURNING position, version)
        INSERT INTO shop.outbox (position, subject) SELECT ins.position, ($3::text[])[ins.version - cur.v] FROM ins, cur
        RETURNING position, (SELECT v FROM cur) AS current_version, (SELECT count(*) FROM (SELECT pg_notify($4, '') WHERE $4::text IS NOT NULL) n) AS notified`,
        args: (st, v) => { const e = ev(); return [st, v, e.map((x) => x.subject), null, ...e.flatMap((x) => [x.id, x.type, x.data, x.meta, x.at])]; } },
      flat1: per === 1 ? { sig: 'text,int,uuid,text,jsonb,jsonb,timestamptz,text', sql: flat1, args: (st, v) => { const e = ev()[0]!; return [st, v, e.id, e.type, e.data, e.meta, e.at, e.subject]; } } : undefined,
    };
    const res: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(variants)) {
      if (!v || name.startsWith('_')) continue;
      await c.query(`PREPARE p_${name}_${per} (${v.sig}) AS ${v.sql}`);
    }
    for (let rep = 0; rep < 3; rep++) {
      for (const [name, v] of Object.entries(variants)) {
        if (!v || name.startsWith('_')) continue;
        s++;
        const st = `s${s}`;
        for (let i = 0; i < 400; i++) {
          const types = v.sig.split(','); const args = v.args(st, i * per).map((a, k) => `${q(a)}::${types[k]}`).join(',');
          const r = await c.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, COSTS OFF) EXECUTE p_${name}_${per}(${args})`);
          if (i >= 20) (res[name] ??= []).push(Number(/Execution Time: ([\d.]+)/.exec(r.rows.at(-1)['QUERY PLAN'])![1]) * 1000);
        }
      }
    }
    console.log(`per=${per}: ` + Object.entries(res).map(([k, v]) => `${k}=${med(v).toFixed(1)}us`).join('  '));
  }
  await c.end();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
