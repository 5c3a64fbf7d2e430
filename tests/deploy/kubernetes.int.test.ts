import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { registry } from '@cadre/cadre';
import { renderKustomization, type K8sObject } from './kustomize';
import { onPath } from './tools';

const ROOT = join(__dirname, '..', '..');
const OVERLAYS = {
  dev: { dir: join(ROOT, 'deploy/kubernetes/overlays/dev'), namespace: 'cadre-dev', image: 'cadre:local' },
  production: { dir: join(ROOT, 'deploy/kubernetes/overlays/production'), namespace: 'cadre', image: 'ghcr.io/cadre/cadre:0.1.0' },
} as const;
/** The gateway and every service of the registry: each one deployed. */
const SERVICES = ['gateway', ...registry.map((service) => service.name)];

/** The kubernetes-models class of an object's apiVersion and kind (core `v1` lives at the top). */
function modelFor(object: K8sObject): { new (data: unknown): { validate(): void } } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Record<string, { new (data: unknown): { validate(): void } }>;
  const model = module[object.kind];
  if (!model) throw new Error(`no Kubernetes schema for ${object.apiVersion} ${object.kind}`);
  return model;
}

type Container = {
  name: string; image: string; args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
};
type PodSpec = { containers: Container[]; securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } }; automountServiceAccountToken?: boolean };
type Workload = K8sObject & { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const find = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe.each(Object.entries(OVERLAYS))('the Kubernetes manifests of the %s overlay', (_name, overlay) => {
  const objects = renderKustomization(overlay.dir);

  it('has a validator that refuses what the API server would', () => {
    const deployment = structuredClone(find<Workload>(objects, 'Deployment', 'runs'));
    (deployment.spec as Record<string, unknown>).replicas = 'two';
    const Model = modelFor(deployment);
    expect(() => new Model(deployment).validate()).toThrow(/replicas must be integer/);
  });

  it('validates every rendered object against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const object of objects) {
      try {
        const Model = modelFor(object);
        new Model(object).validate();
      } catch (error) {
        problems.push(`${key(object)}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    for (const object of objects) if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe(overlay.namespace);
  });

  it.each(SERVICES)('runs %s as a Deployment with a Service, an HPA, a PDB, probes, resources and a restrictive securityContext', (service) => {
    const deployment = find<Workload>(objects, 'Deployment', service);
    const pod = deployment.spec.template;
    expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    const [container] = pod.spec.containers;
    expect(container).toBeDefined();
    expect(container!.image).toBe(overlay.image);
    expect(container!.args).toEqual([service]);
    expect(container!.ports).toEqual(expect.arrayContaining([{ name: 'probes', containerPort: 9090 }]));
    expect(container!.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'probes' });
    expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'probes' });
    expect(container!.resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container!.resources?.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container!.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });

    const svc = find<K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } }>(objects, 'Service', service);
    expect(selects(svc.spec.selector, pod.metadata.labels)).toBe(true);
    const portNames = new Set(container!.ports!.map((p) => p.name));
    for (const port of svc.spec.ports) expect(portNames.has(port.targetPort)).toBe(true);

    const hpa = find<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }>(objects, 'HorizontalPodAutoscaler', service);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: service });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);

    const pdb = find<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget', service);
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  });

  it('deploys the gateway and every service of the registry, and nothing the registry lacks', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    expect([...deployments].sort()).toEqual([...SERVICES].sort());
    for (const kind of ['Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
      const names = objects.filter((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/name'] !== 'nats').map((o) => o.metadata.name);
      expect([...names].sort()).toEqual([...SERVICES].sort());
    }
  });

  it('serves HTTP from the gateway alone: PORT 8000, the Service\'s port 80', () => {
    for (const service of SERVICES) {
      const [container] = find<Workload>(objects, 'Deployment', service).spec.template.spec.containers;
      const svc = find<K8sObject & { spec: { ports: Array<{ name: string; port: number; targetPort: string }> } }>(objects, 'Service', service);
      const http = svc.spec.ports.find((port) => port.name === 'http');
      if (service === 'gateway') {
        expect(container!.ports).toContainEqual({ name: 'http', containerPort: 8000 });
        expect((container as Container & { env: unknown[] }).env).toContainEqual({ name: 'PORT', value: '8000' });
        expect(http).toEqual({ name: 'http', port: 80, targetPort: 'http' });
      } else {
        expect(container!.ports!.map((port) => port.name)).toEqual(['probes']);
        expect(http).toBeUndefined();
      }
    }
  });

  it('runs NATS with JetStream on a persistent volume and gives every service its config and secrets', () => {
    const nats = find<Workload & { spec: { volumeClaimTemplates: unknown[] } }>(objects, 'StatefulSet', 'nats');
    expect(nats.spec.volumeClaimTemplates).toHaveLength(1);
    const natsConfig = find<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'nats-config');
    expect(natsConfig.data['nats.conf']).toMatch(/jetstream\s*\{[^}]*store_dir: \/data/);
    const config = find<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'cadre-config');
    expect(config.data).toMatchObject({ NATS_URL: 'nats://nats:4222', METRICS_PORT: '9090' });
    for (const service of SERVICES) {
      const deployment = find<Workload>(objects, 'Deployment', service);
      expect(deployment.spec.template.spec.containers[0]).toMatchObject({
        envFrom: [{ configMapRef: { name: 'cadre-config' } }, { secretRef: { name: 'cadre-secrets' } }],
      });
    }
  });

  const kubectl = onPath('kubectl');
  (kubectl ? it : it.skip)('renders the same objects as `kubectl kustomize` (where kubectl is installed)', () => {
    const output = execFileSync(kubectl!, ['kustomize', overlay.dir], { encoding: 'utf8' });
    const theirs = parseAllDocuments(output).map((doc) => doc.toJSON() as K8sObject);
    const byKey = (list: K8sObject[]) => Object.fromEntries(list.map((o) => [key(o), o]));
    expect(byKey(objects)).toEqual(byKey(theirs));
  });
});

describe('the production overlay', () => {
  const objects = renderKustomization(OVERLAYS.production.dir);

  it('scales the gateway between 3 and 20 replicas and gives the agents more CPU, memory and concurrency', () => {
    const gateway = find<K8sObject & { spec: { minReplicas: number; maxReplicas: number } }>(objects, 'HorizontalPodAutoscaler', 'gateway');
    expect(gateway.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    const [agents] = find<Workload>(objects, 'Deployment', 'agents').spec.template.spec.containers;
    expect(agents!.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } });
    expect((agents as Container & { env: unknown[] }).env).toEqual([{ name: 'AGENTS_CONCURRENCY', value: '16' }, { name: 'SERVICE', value: 'agents' }]);
  });
});
