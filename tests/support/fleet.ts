import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@cadre/testing';

const ROOT = join(__dirname, '..', '..');

/** `gateway` or the name of a service in the fleet's registry (`identity`, `runs`, `agents`, …). */
export type FleetService = string;

export interface FleetOptions {
  /** A module exporting `registry` (default Cadre's), for services defined in test code. */
  readonly registryModule?: string;
}

/** One replica: a service's composition root in a process of its own, as a container runs it. */
export interface Replica {
  /** `<service>#<n>`, n counting every replica of the service ever started. */
  readonly name: string;
  readonly service: FleetService;
  readonly child: ChildProcess;
  readonly probePort: number;
  /** `http://127.0.0.1:<port>` of a gateway; empty for the other services. */
  readonly url: string;
  readonly exited: Promise<void>;
  output(): string;
  /** True once it was killed or exited (it is no longer a target for requests). */
  dead(): boolean;
}

const OUTPUT_KEPT = 20_000;

async function status(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
}

/**
 * Replicas of Cadre's services on one database and one NATS server, each started with the one
 * entry point, `node --import tsx services/cadre/src/main.ts <name>`, and configured by env only. Killing is SIGKILL:
 * no drain, no acks, no goodbye.
 */
export class Fleet {
  private readonly replicas: Replica[] = [];
  private readonly counts = new Map<FleetService, number>();

  constructor(private readonly env: Readonly<Record<string, string>>, private readonly options: FleetOptions = {}) {}

  /** Every replica started so far, dead or alive. */
  all(): readonly Replica[] {
    return this.replicas;
  }

  alive(service: FleetService): Replica[] {
    return this.replicas.filter((r) => r.service === service && !r.dead());
  }

  /** Starts one more replica of `service` (not waiting until it is ready). */
  async start(service: FleetService): Promise<Replica> {
    const n = (this.counts.get(service) ?? 0) + 1;
    this.counts.set(service, n);
    const probePort = await freePort();
    const port = service === 'gateway' ? await freePort() : 0;
    const base: Record<string, string | undefined> = { ...process.env };
    delete base.CADRE_TEST_PG_URL;
    const registry = this.options.registryModule === undefined ? [] : ['--registry', this.options.registryModule];
    const child = spawn(process.execPath, ['--import', 'tsx', join('services', 'cadre', 'src', 'main.ts'), ...registry, service], {
      cwd: ROOT,
      env: { ...base, ...this.env, METRICS_PORT: String(probePort), ...(port > 0 ? { PORT: String(port) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let gone = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => {
      gone = true;
      resolve();
    }));
    const replica: Replica = {
      name: `${service}#${n}`, service, child, probePort, url: port > 0 ? `http://127.0.0.1:${port}` : '', exited,
      output: () => output, dead: () => gone || child.signalCode !== null,
    };
    this.replicas.push(replica);
    return replica;
  }

  /** Waits until the replica's probes (and, for a gateway, `/v1/ready`) answer 200. */
  async ready(replica: Replica, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (replica.dead()) throw new Error(`${replica.name} exited before it was ready:\n${replica.output()}`);
      const probe = await status(`http://127.0.0.1:${replica.probePort}/readyz`);
      const api = replica.url === '' ? 200 : await status(`${replica.url}/v1/ready`);
      if (probe === 200 && api === 200) return;
      if (Date.now() > deadline) throw new Error(`${replica.name} not ready after ${timeoutMs} ms (readyz ${probe}, api ${api}):\n${replica.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Starts a replica and waits until it is ready. Its ports come from `freePort`, which another
   * process may take before the replica binds them: one that dies of EADDRINUSE is started
   * again on other ports.
   */
  async startReady(service: FleetService, timeoutMs = 60_000): Promise<Replica> {
    for (let attempt = 1; ; attempt++) {
      const replica = await this.start(service);
      try {
        await this.ready(replica, timeoutMs);
        return replica;
      } catch (error) {
        if (attempt >= 3 || !replica.dead() || !replica.output().includes('EADDRINUSE')) throw error;
      }
    }
  }

  /**
   * Starts the services wave by wave (the replicas of one wave at once, each wave once the one
   * before is ready) and answers the replicas in the order named; a failure carries every
   * replica's output.
   */
  async startWaves(waves: readonly (readonly FleetService[])[], timeoutMs = 60_000): Promise<Replica[]> {
    const started: Replica[] = [];
    try {
      for (const wave of waves) started.push(...(await Promise.all(wave.map((service) => this.startReady(service, timeoutMs)))));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.report()}`, { cause: error });
    }
    return started;
  }

  /** SIGKILLs the replica and waits until it is gone. */
  async kill(replica: Replica): Promise<void> {
    if (!replica.dead()) replica.child.kill('SIGKILL');
    await replica.exited;
  }

  /** Kills whatever is still running (end of the suite). */
  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => this.kill(r)));
  }

  /** The tail of every replica's output, for a failure message. */
  report(chars = 3_000): string {
    return this.replicas.map((r) => {
      const how = r.child.signalCode ?? `exit ${String(r.child.exitCode)}`;
      return `--- ${r.name} (${r.dead() ? how : 'running'})\n${r.output().slice(-chars)}`;
    }).join('\n');
  }
}
