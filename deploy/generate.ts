import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Document, isScalar, stringify, visit } from 'yaml';
import { registry } from '@cadre/cadre';
import type { ServiceRegistry } from '@cadre/kit';
import { COMMENTS, serviceObjects, type ManifestObject, type ServiceDifferences } from './manifests';
import { differences } from './services';
import { variablesReference } from './variables';

/**
 * Writes what deploy/ derives from the registry: one Kubernetes manifest per deployed service
 * (the gateway and every registry service) with the kustomization that lists them, and the
 * variables reference of docs/deploy.md. `npm run deploy:generate` writes; `-- --check` only
 * reports what is out of date (exit 1), as the deploy tests do.
 */

export const ROOT = join(__dirname, '..');
/** The folder the generator owns: every file in it is generated. */
export const SERVICES_DIR = 'deploy/kubernetes/base/services';
export const DOCS = 'docs/deploy.md';
const BEGIN = '<!-- BEGIN variables: written by `npm run deploy:generate` from each service\'s config; do not edit -->';
const END = '<!-- END variables -->';

export interface Inputs {
  readonly registry: ServiceRegistry;
  readonly differences: Readonly<Record<string, ServiceDifferences>>;
  /** docs/deploy.md as it is, whose reference section is replaced. */
  readonly docs: string;
}

/** The gateway, then the registry's services in their order: what the base deploys. */
export function deployedServices(services: ServiceRegistry): ReadonlyArray<{ name: string; description?: string }> {
  return [{ name: 'gateway' }, ...services];
}

/** One object as YAML written by hand would be: no anchors, short lists of scalars inline, the template's comments. */
function toYaml(object: ManifestObject): string {
  const doc = new Document(object, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      if (node.items.every(isScalar)) node.flow = true;
    },
    Pair(_, pair) {
      const comment = isScalar(pair.key) ? COMMENTS[String(pair.key.value)] : undefined;
      if (comment !== undefined && isScalar(pair.key)) pair.key.commentBefore = ` ${comment}`;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** "Users, sessions…" as it reads after "identity: " (an acronym keeps its capitals). */
const continued = (text: string): string => (/^[A-Z][a-z]/.test(text) ? `${text[0]!.toLowerCase()}${text.slice(1)}` : text);

function manifest(name: string, description: string | undefined, differing: ServiceDifferences = {}): string {
  const header = [
    `# ${name}: ${continued(differing.description ?? description ?? 'a Cadre service')}. Stateless; any number of replicas on one Postgres and NATS.`,
    '# Written by `npm run deploy:generate` from the template in deploy/manifests.ts and what differs',
    '# for this service in deploy/services.ts: change those, not this file.',
  ];
  return `${header.join('\n')}\n${serviceObjects(name, differing).map(toYaml).join('---\n')}`;
}

/** Every generated file, by its path from the repository root. */
export function generatedFiles(inputs: Inputs): Map<string, string> {
  const services = deployedServices(inputs.registry);
  const names = new Set(services.map((service) => service.name));
  const unknown = Object.keys(inputs.differences).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(`deploy/services.ts names ${unknown.join(', ')}: neither the gateway nor a service of the registry; remove the line`);
  }
  const files = new Map<string, string>();
  for (const service of services) {
    files.set(`${SERVICES_DIR}/${service.name}.yaml`, manifest(service.name, service.description, inputs.differences[service.name]));
  }
  files.set(`${SERVICES_DIR}/kustomization.yaml`, [
    '# Written by `npm run deploy:generate`: the gateway and every service of the registry.',
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: services.map((service) => `${service.name}.yaml`),
    }),
  ].join('\n'));

  const begin = inputs.docs.indexOf(BEGIN);
  const end = inputs.docs.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${DOCS} has lost the markers of its variables reference (${BEGIN} … ${END})`);
  files.set(DOCS, `${inputs.docs.slice(0, begin + BEGIN.length)}\n\n${variablesReference(inputs.registry)}\n\n${inputs.docs.slice(end)}`);
  return files;
}

/** What the repository's registry and differences generate, against the files as they are. */
export function currentFiles(root = ROOT): Map<string, string> {
  return generatedFiles({ registry, differences, docs: readFileSync(join(root, DOCS), 'utf8') });
}

/** How the files on disk differ from the generated ones, one line each; empty when in sync. */
export function outOfDate(files: ReadonlyMap<string, string>, root = ROOT): string[] {
  const problems: string[] = [];
  for (const [path, content] of files) {
    const file = join(root, path);
    if (!existsSync(file)) problems.push(`${path} is missing`);
    else if (readFileSync(file, 'utf8') !== content) problems.push(`${path} differs from what the registry generates`);
  }
  const dir = join(root, SERVICES_DIR);
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!files.has(`${SERVICES_DIR}/${name}`)) problems.push(`${SERVICES_DIR}/${name} is not generated: the registry has no such service`);
  }
  return problems;
}

/** Writes the files that changed and removes any other file of the generated folder; says what it did. */
export function writeFiles(files: ReadonlyMap<string, string>, root = ROOT): string[] {
  const done: string[] = [];
  for (const [path, content] of files) {
    const file = join(root, path);
    if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    done.push(`wrote ${path}`);
  }
  const dir = join(root, SERVICES_DIR);
  for (const name of readdirSync(dir)) {
    if (files.has(`${SERVICES_DIR}/${name}`)) continue;
    rmSync(join(dir, name));
    done.push(`removed ${SERVICES_DIR}/${name}`);
  }
  return done;
}

if (require.main === module) {
  const files = currentFiles();
  const check = process.argv.includes('--check');
  const problems = check ? outOfDate(files) : writeFiles(files);
  for (const line of problems) process.stdout.write(`${line}\n`);
  if (check && problems.length > 0) {
    process.stdout.write('run `npm run deploy:generate` and commit the result\n');
    process.exitCode = 1;
  }
}
