import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize for the tests: the subset of `kustomize build` that deploy/kubernetes uses
 * (resources, namespace, images, patches as strategic-merge or JSON 6902 with a target). No
 * kustomize ships on npm, and CI machines need not have kubectl, so the manifests are rendered
 * here; where `kubectl kustomize` exists the tests check both give the same objects.
 * Anything outside the subset throws, so the manifests cannot drift from what is checked.
 */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
};

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path: string; target?: { kind?: string; name?: string; labelSelector?: string } }>;
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition']);

function readYaml(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJSON() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

/** `kustomize build <dir>` for the subset above. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const [k] = readYaml(file) as [Kustomization];
  for (const key of Object.keys(k)) if (!KNOWN_FIELDS.has(key)) throw new Error(`${file}: field ${key} is not supported by the test renderer`);
  let objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else objects.push(...(readYaml(path) as K8sObject[]));
  }
  for (const patch of k.patches ?? []) objects = applyPatch(objects, resolve(dir, patch.path), patch.target);
  for (const image of k.images ?? []) for (const object of objects) setImages(object, image);
  if (k.namespace) {
    for (const object of objects) if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
  }
  return objects;
}

function matches(object: K8sObject, target: { kind?: string; name?: string; labelSelector?: string }): boolean {
  if (target.kind && object.kind !== target.kind) return false;
  if (target.name && object.metadata.name !== target.name) return false;
  if (target.labelSelector) {
    for (const pair of target.labelSelector.split(',')) {
      const [key, value] = pair.split('=');
      if (object.metadata.labels?.[key!.trim()] !== value?.trim()) return false;
    }
  }
  return true;
}

function applyPatch(objects: K8sObject[], file: string, target?: { kind?: string; name?: string; labelSelector?: string }): K8sObject[] {
  if (!existsSync(file)) throw new Error(`patch ${file} not found`);
  const [content] = readYaml(file);
  if (Array.isArray(content)) {
    if (!target) throw new Error(`${file}: a JSON 6902 patch needs a target`);
    const hits = objects.filter((o) => matches(o, target));
    if (hits.length === 0) throw new Error(`${file}: the target matches nothing`);
    for (const object of hits) for (const op of content as Array<{ op: string; path: string; value?: unknown }>) applyOperation(object, op, file);
    return objects;
  }
  const patch = content as K8sObject;
  const selector = target ?? { kind: patch.kind, name: patch.metadata.name };
  const hits = objects.filter((o) => matches(o, selector));
  if (hits.length === 0) throw new Error(`${file}: the patch matches no object`);
  return objects.map((o) => (hits.includes(o) ? (strategicMerge(o, patch) as K8sObject) : o));
}

function applyOperation(object: K8sObject, op: { op: string; path: string; value?: unknown }, file: string): void {
  const keys = op.path.split('/').slice(1).map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop();
  let node: Record<string, unknown> = object;
  for (const key of keys) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) throw new Error(`${file}: path ${op.path} does not exist`);
    node = next as Record<string, unknown>;
  }
  if (last === undefined) throw new Error(`${file}: empty path`);
  if (op.op === 'replace' && !(last in node)) throw new Error(`${file}: cannot replace missing ${op.path}`);
  if (op.op === 'replace' || op.op === 'add') node[last] = op.value;
  else if (op.op === 'remove') delete node[last];
  else throw new Error(`${file}: operation ${op.op} is not supported by the test renderer`);
}

/** Strategic merge for the fields Cadre patches: maps merge, lists of named items merge by name, other lists are replaced. */
function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (list: unknown[]) => list.every((item) => typeof item === 'object' && item !== null && 'name' in item);
    if (!named(base) || !named(patch)) return patch;
    // As kustomize does: items new to the list come first, in the patch's order.
    const merged = [...base] as Array<{ name: string }>;
    const added: Array<{ name: string }> = [];
    for (const item of patch as Array<{ name: string }>) {
      const at = merged.findIndex((existing) => existing.name === item.name);
      if (at >= 0) merged[at] = strategicMerge(merged[at], item) as { name: string };
      else added.push(item);
    }
    return [...added, ...merged];
  }
  if (typeof base === 'object' && base !== null && typeof patch === 'object' && patch !== null && !Array.isArray(base) && !Array.isArray(patch)) {
    const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in merged ? strategicMerge(merged[key], value) : value;
    }
    return merged;
  }
  return patch;
}

function setImages(object: K8sObject, image: { name: string; newName?: string; newTag?: string }): void {
  const spec = (object.spec as { template?: { spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } } } | undefined)?.template?.spec;
  for (const container of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    if (!container.image) continue;
    const match = /^(.*?)(?::([^:/@]+))?(@.*)?$/.exec(container.image);
    if (!match || match[1] !== image.name) continue;
    const tag = image.newTag ?? match[2];
    container.image = `${image.newName ?? image.name}${tag ? `:${tag}` : ''}`;
  }
}

/** The folder of a kustomization, for messages. */
export const overlayName = (dir: string): string => `${dirname(dir).split('/').pop()}/${dir.split('/').pop()}`;
