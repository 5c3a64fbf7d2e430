import type { ServiceDifferences } from './manifests';

/**
 * How a deployed service differs from the Kubernetes template (deploy/manifests.ts). The base
 * deploys the gateway and every service of the registry (services/cadre/src/registry.ts); a
 * service the template fits as it is has no line here. After changing this list or the
 * registry, run `npm run deploy:generate` and commit what it writes.
 */
export const differences: Readonly<Record<string, ServiceDifferences>> = {
  gateway: { description: 'The HTTP API and the event stream', httpPort: 8000 },
  identity: { maxReplicas: 6 },
  agents: { maxReplicas: 20, resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } } },
  // Each replica keeps the vectors of the current embedding model in memory (100k × 384 floats ≈ 150 MB).
  memory: { resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } } },
  // Clones of git URL repositories, each replica its own (a clone is made again on a replica without it);
  // the graph of a large repository is held in memory while it is indexed.
  knowledge: {
    resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    workspace: { path: '/var/lib/cadre/knowledge', variable: 'KNOWLEDGE_WORKSPACE', sizeLimit: '10Gi' },
  },
};
