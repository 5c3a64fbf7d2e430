/**
 * The Kubernetes template of one Cadre service: its Deployment, Service, HorizontalPodAutoscaler
 * and PodDisruptionBudget, from its name and what differs for it (deploy/services.ts). Every
 * service of the base is written from here by `npm run deploy:generate`; the overlays patch the
 * results as they would hand-written files.
 */

/** CPU and memory of a container, as Kubernetes quantities. */
export interface Quantities {
  readonly cpu?: string;
  readonly memory?: string;
}

/** What may differ for one service; anything left out is the template's. */
export interface ServiceDifferences {
  /** The manifest's header line; a registry service takes its definition's description. */
  readonly description?: string;
  /** The container's HTTP port (`PORT`), served by the Service as `http` on port 80. */
  readonly httpPort?: number;
  /** The HorizontalPodAutoscaler's ceiling. */
  readonly maxReplicas?: number;
  /** Requests and limits, merged over the template's. */
  readonly resources?: { readonly requests?: Quantities; readonly limits?: Quantities };
  /**
   * A writable folder of the pod's own (the root filesystem is read-only): an emptyDir of this size
   * mounted at `path`, named to the service in `variable`.
   */
  readonly workspace?: { readonly path: string; readonly variable: string; readonly sizeLimit: string };
}

/** The template's values where a service says nothing. */
export const TEMPLATE = {
  replicas: 2,
  maxReplicas: 10,
  resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  /** The runtime's probe and metrics server (METRICS_PORT in cadre-config). */
  probesPort: 9090,
} as const;

/** Comments written above a key wherever it appears. */
export const COMMENTS: Readonly<Record<string, string>> = {
  terminationGracePeriodSeconds: 'SHUTDOWN_GRACE_MS (25 s) plus time to drain NATS and close the pool.',
};

export type ManifestObject = Readonly<Record<string, unknown>> & { readonly kind: string };

/** The four objects of one service, in the order they are written. */
export function serviceObjects(name: string, differences: ServiceDifferences = {}): ManifestObject[] {
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'cadre' };
  const labels = { ...selector, 'app.kubernetes.io/component': name };
  const { httpPort } = differences;
  const resources = {
    requests: { ...TEMPLATE.resources.requests, ...differences.resources?.requests },
    limits: { ...TEMPLATE.resources.limits, ...differences.resources?.limits },
  };
  const probe = (path: string, timing: Record<string, number>) => ({ httpGet: { path, port: 'probes' }, ...timing });

  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: TEMPLATE.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(TEMPLATE.probesPort), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          serviceAccountName: 'cadre',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 35,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
          ],
          containers: [
            {
              name,
              image: 'cadre',
              imagePullPolicy: 'IfNotPresent',
              args: [name],
              envFrom: [{ configMapRef: { name: 'cadre-config' } }, { secretRef: { name: 'cadre-secrets' } }],
              env: [
                { name: 'SERVICE', value: name },
                ...(httpPort === undefined ? [] : [{ name: 'PORT', value: String(httpPort) }]),
                ...(differences.workspace === undefined ? [] : [{ name: differences.workspace.variable, value: differences.workspace.path }]),
              ],
              ports: [
                ...(httpPort === undefined ? [] : [{ name: 'http', containerPort: httpPort }]),
                { name: 'probes', containerPort: TEMPLATE.probesPort },
              ],
              startupProbe: probe('/healthz', { periodSeconds: 2, failureThreshold: 60 }),
              livenessProbe: probe('/healthz', { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
              readinessProbe: probe('/readyz', { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }),
              resources,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                ...(differences.workspace === undefined ? [] : [{ name: 'workspace', mountPath: differences.workspace.path }]),
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ...(differences.workspace === undefined ? [] : [{ name: 'workspace', emptyDir: { sizeLimit: differences.workspace.sizeLimit } }]),
          ],
        },
      },
    },
  };

  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: selector },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        ...(httpPort === undefined ? [] : [{ name: 'http', port: 80, targetPort: 'http' }]),
        { name: 'probes', port: TEMPLATE.probesPort, targetPort: 'probes' },
      ],
    },
  };

  const autoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels: selector },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: TEMPLATE.replicas,
      maxReplicas: differences.maxReplicas ?? TEMPLATE.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };

  const disruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, labels: selector },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };

  return [deployment, service, autoscaler, disruptionBudget];
}
