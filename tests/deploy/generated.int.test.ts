import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registry } from '@cadre/cadre';
import type { AnyServiceDefinition } from '@cadre/kit';
import { currentFiles, DOCS, generatedFiles, outOfDate, SERVICES_DIR } from '../../deploy/generate';
import { differences } from '../../deploy/services';

const ROOT = join(__dirname, '..', '..');
const docs = readFileSync(join(ROOT, DOCS), 'utf8');

describe('the deploy files generated from the registry', () => {
  it('are committed as the registry, the template and deploy/services.ts generate them (else: npm run deploy:generate)', () => {
    const files = currentFiles();
    expect([...files.keys()].filter((path) => path.startsWith(`${SERVICES_DIR}/`)).sort()).toEqual(
      ['gateway', ...registry.map((service) => service.name), 'kustomization'].map((name) => `${SERVICES_DIR}/${name}.yaml`).sort(),
    );
    expect(outOfDate(files)).toEqual([]);
  });

  it('are out of date when the registry gains a service that has no manifest yet', () => {
    const billing: AnyServiceDefinition = { ...registry[0]!, name: 'billing', description: 'Invoices and payments' };
    const problems = outOfDate(generatedFiles({ registry: [...registry, billing], differences, docs }));
    expect(problems).toEqual(expect.arrayContaining([
      `${SERVICES_DIR}/billing.yaml is missing`,
      `${SERVICES_DIR}/kustomization.yaml differs from what the registry generates`,
      `${DOCS} differs from what the registry generates`,
    ]));
  });

  it('are out of date when a manifest is left for a service the registry no longer has', () => {
    const problems = outOfDate(generatedFiles({ registry: registry.filter((service) => service.name !== 'runs'), differences, docs }));
    expect(problems).toEqual(expect.arrayContaining([
      `${SERVICES_DIR}/runs.yaml is not generated: the registry has no such service`,
      `${SERVICES_DIR}/kustomization.yaml differs from what the registry generates`,
    ]));
  });

  it('refuse a difference for a service that is not deployed', () => {
    expect(() => generatedFiles({ registry, differences: { ...differences, billing: { maxReplicas: 3 } }, docs })).toThrow(
      /deploy\/services\.ts names billing: neither the gateway nor a service of the registry/,
    );
  });

  it('list every variable of every registry service in the reference, with its default and text', () => {
    const reference = currentFiles().get(DOCS)!;
    for (const service of registry) {
      expect(reference).toContain(`\`${service.name}\` — ${service.description}:`);
      for (const name of Object.keys(service.config.shape)) expect(reference).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    }
    expect(reference).toContain('| `AGENTS_CONCURRENCY` | `8` | Step jobs one replica runs at once |');
    expect(reference).toContain('| `DATABASE_URL` | — | Postgres; embedded Postgres when unset |');
  });
});
