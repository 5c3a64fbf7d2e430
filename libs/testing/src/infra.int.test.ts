import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { createTestDatabase, startNats } from '@cadre/testing';

describe('test infrastructure', () => {
  it('gives each suite its own database on a real Postgres', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    expect(a.url).not.toEqual(b.url);
    const client = new Client({ connectionString: a.url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    expect(rows[0]?.db).toEqual(a.name);
    await client.end();
    await a.dispose();
    await b.dispose();
  });

  it('starts a NATS server with JetStream that can be stopped and started again', async () => {
    const nats = await startNats({ controllable: true });
    try {
      const nc = await connect({ servers: nats.url });
      const sub = nc.subscribe('ping');
      nc.publish('ping', 'x');
      for await (const m of sub) { expect(m.string()).toBe('x'); break; }
      await nc.close();
      await nats.stop();
      await expect(connect({ servers: nats.url, reconnect: false, timeout: 500 })).rejects.toThrow();
      await nats.start();
      const again = await connect({ servers: nats.url });
      await again.close();
    } finally {
      await nats.dispose();
    }
  });
});
