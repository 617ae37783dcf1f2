/**
 * deploy/kubernetes/: every overlay renders (`kubectl kustomize`), every object validates against the
 * Kubernetes API schemas (the JSON schemas bundled in kubernetes-models, KEDA's and External Secrets' in
 * @kubernetes-models/*; unknown fields are caught by type-checking each object against the same models'
 * TypeScript types, since the schemas allow extra properties), and the manifests agree with the service
 * registry and the services' env shapes. CloudNativePG's and the Barman Cloud plugin's resources have no
 * published schema package: they get the project checks below instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { EnvShape } from '@shopgraph/kit';
import { routerEnvShape } from '../router/src/env.ts';
import { ROOT } from '../scripts/build.ts';
import { callersOf, generatedFiles, KUBERNETES_DIR, LIFECYCLE_TIMEOUT_SECONDS, NAMES, PRE_STOP_SECONDS } from '../scripts/kubernetes-sync.ts';
import { secretKeys } from '../scripts/kubernetes-secrets.ts';
import { ROUTER, SERVICES, type ServiceSpec, SUBGRAPHS } from '../scripts/services.ts';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = kubectl.status === 0;
if (!hasKubectl) console.warn('test/kubernetes.test.ts skipped: kubectl is not installed (it renders the kustomize overlays)');

function kustomize(dir: string): K8sObject[] {
  const out = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${out.stderr}`);
  return parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

/** Renders a throw-away kustomization outside the repository; `body` gets a path maker relative to it. */
function kustomizeTemporary(body: (rel: (path: string) => string) => string[]): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'shopgraph-kustomize-'));
  try {
    const rel = (path: string) => relative(dir, join(KUBERNETES_DIR, path));
    writeFileSync(join(dir, 'kustomization.yaml'), ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', ...body(rel)].join('\n'));
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Production with every optional component switched on. */
const renderProductionWithComponents = () =>
  kustomizeTemporary((rel) => ['resources:', `  - ${rel('overlays/production')}`, 'components:', ...['keda', 'external-secrets', 'postgres-backups'].map((c) => `  - ${rel(`components/${c}`)}`)]);

/** Managed PostgreSQL and Redis: the base without ../data, plus managed-data. */
const renderManaged = () => kustomizeTemporary((rel) => ['resources:', `  - ${rel('base')}`, 'components:', `  - ${rel('components/managed-data')}`]);

/** The model module and class of an object, for the API groups that have a schema package. */
function modelOf(o: K8sObject): { module: string; exported: string; typeName: string } | null {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const path = group ? `${group}/${version}` : version!;
  if (group === 'keda.sh') return { module: `@kubernetes-models/keda/${path}`, exported: o.kind, typeName: `I${o.kind}` };
  if (group === 'external-secrets.io') return { module: `@kubernetes-models/external-secrets/${path}`, exported: o.kind, typeName: `I${o.kind}` };
  if (group === '' || group!.endsWith('k8s.io') || ['apps', 'autoscaling', 'policy', 'batch'].includes(group!)) {
    return { module: `kubernetes-models/${path}`, exported: o.kind, typeName: `I${o.kind}` };
  }
  return null;
}

/** Groups without a schema package, checked by the project checks instead. */
const PROJECT_CHECKED = new Set(['postgresql.cnpg.io/v1', 'barmancloud.cnpg.io/v1']);

async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const o of objects) {
    const model = modelOf(o);
    if (!model) {
      if (!PROJECT_CHECKED.has(o.apiVersion)) errors.push(`${o.kind}/${o.metadata.name}: no schema for ${o.apiVersion}`);
      continue;
    }
    const module = (await import(`${model.module}/${o.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = module[model.exported];
    if (!Model) {
      errors.push(`${o.kind}/${o.metadata.name}: ${model.module} has no ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      errors.push(`${o.kind}/${o.metadata.name}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/**
 * Unknown or misspelt fields: each object as an object literal typed with its model's interface, type-checked
 * (excess property checks reach every depth of a literal).
 */
function typeErrors(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test', '__kubernetes_objects__.ts');
  const typed = objects.map((o) => ({ o, model: modelOf(o) })).filter((x) => x.model);
  const source = [
    ...typed.map(({ model }, i) => `import type { ${model!.typeName} as T${i} } from '${model!.module}/${model!.exported}';`),
    ...typed.map(({ o }, i) => `export const o${i}: T${i} = ${JSON.stringify(o)};`),
  ].join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const index = d.file?.fileName === file ? Number(/^export const o(\d+)/.exec(source.split('\n')[line] ?? '')?.[1] ?? -1) : -1;
    const what = index >= 0 ? `${typed[index]!.o.kind}/${typed[index]!.o.metadata.name}` : (d.file?.fileName ?? '');
    return `${what}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** A service's env shape: the router's, or its subgraph's (a worker reads its subgraph's). */
async function envShapeOf(spec: ServiceSpec): Promise<EnvShape> {
  if (spec.kind === 'router') return routerEnvShape;
  const owner = spec.of ?? spec.name;
  const module = (await import(`../subgraphs/${owner}/src/env.ts`)) as Record<string, EnvShape>;
  return module[`${owner}EnvShape`]!;
}

/** Variables a service cannot start without: no default, not optional. */
function requiredVariables(shape: EnvShape): string[] {
  return Object.entries(shape)
    .filter(([, schema]) => !(schema as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success)
    .map(([name]) => name);
}

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];

const overlays = hasKubectl ? { dev: kustomize(join(KUBERNETES_DIR, 'overlays/dev')), production: kustomize(join(KUBERNETES_DIR, 'overlays/production')) } : ({} as Record<string, K8sObject[]>);

describe.skipIf(!hasKubectl)('deploy/kubernetes', () => {
  it('the files written from the service registry are up to date (node --import tsx scripts/kubernetes-sync.ts)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(join(KUBERNETES_DIR, path), 'utf8'), `${path} is stale: run node --import tsx scripts/kubernetes-sync.ts`).toBe(content);
    }
  });

  it('the validation catches a wrong type, a misspelt field and an unknown kind', async () => {
    const bad: K8sObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 'http' }] }] } } } };
    expect(await schemaErrors([bad])).toEqual([expect.stringContaining('containerPort must be integer')]);
    const misspelt: K8sObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'misspelt' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i', readinesProbe: {} }] } } } };
    expect(await schemaErrors([misspelt]), 'the JSON schemas allow unknown fields').toEqual([]);
    expect(typeErrors([misspelt])).toEqual([expect.stringMatching(/^Deployment\/misspelt: .*readinesProbe/s)]);
    expect(await schemaErrors([{ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }])).toEqual(['Thing/x: no schema for example.com/v1']);
  });

  it('every overlay and component renders, and every object is valid for the Kubernetes API', async () => {
    const rendered = { ...overlays, 'production + keda, external-secrets, postgres-backups': renderProductionWithComponents(), 'base + managed-data': renderManaged() };
    for (const [name, objects] of Object.entries(rendered)) {
      expect(objects.length, name).toBeGreaterThan(SERVICES.length);
      expect(await schemaErrors(objects), name).toEqual([]);
      expect(typeErrors(objects), name).toEqual([]);
      // Secrets are created by a command, never rendered from the repository.
      expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name), name).toEqual([]);
    }
    const keda = rendered['production + keda, external-secrets, postgres-backups'];
    for (const worker of SERVICES.filter((s) => s.kind === 'worker')) {
      expect(find(keda, 'ScaledObject', worker.name)?.spec.scaleTargetRef.name).toBe(worker.name);
      expect(find(keda, 'Deployment', worker.name)?.spec.replicas, 'KEDA owns the replicas').toBeUndefined();
    }
    // Every Secret the manifests read is one the secrets script (and the ExternalSecrets) provide.
    const externals = new Map(keda.filter((o) => o.kind === 'ExternalSecret').map((o) => [o.metadata.name, o.spec.data.map((d: { secretKey: string }) => d.secretKey)]));
    expect(Object.fromEntries(externals)).toEqual(secretKeys());
  });

  for (const [overlay, objects] of Object.entries(overlays)) {
    describe(`overlay ${overlay}`, () => {
      it('has a Deployment per service of the registry, with consistent images and tags', () => {
        const deployments = objects.filter((o) => o.kind === 'Deployment');
        expect(deployments.map((d) => d.metadata.name).sort()).toEqual(SERVICES.map((s) => s.name).sort());
        const tags = new Set<string>();
        for (const spec of SERVICES) {
          const image = container(find(objects, 'Deployment', spec.name)!).image as string;
          const [name, tag] = image.split(':');
          expect(name, spec.name).toMatch(new RegExp(`(^|/)shopgraph/${spec.name}$`));
          expect(tag, `${spec.name} has a tag`).toBeTruthy();
          expect(tag).not.toBe('latest');
          tags.add(tag!);
        }
        expect([...tags], 'one release tag for every service').toHaveLength(1);
      });

      it('probes the real /readyz and /healthz on the port each service listens on', () => {
        for (const spec of SERVICES) {
          const c = container(find(objects, 'Deployment', spec.name)!);
          if (spec.port === null) {
            expect(c.ports, `${spec.name} serves no HTTP`).toBeUndefined();
            continue;
          }
          expect(c.ports).toEqual([{ name: 'http', containerPort: spec.port }]);
          const port = c.env.find((e: { name: string }) => e.name === 'PORT');
          expect(port?.value, `${spec.name} PORT`).toBe(String(spec.port));
          expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
          expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
          expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
          const service = find(objects, 'Service', spec.name)!;
          expect(service.spec.ports).toEqual([{ name: 'http', port: spec.port, targetPort: 'http' }]);
          expect(service.spec.type ?? 'ClusterIP', 'only the Ingress is reachable from outside').toBe('ClusterIP');
        }
        // The kit's HTTP server answers these paths (packages/kit/src/server.ts).
        const server = readFileSync(join(ROOT, 'packages/kit/src/server.ts'), 'utf8');
        expect(server).toContain("path === '/healthz'");
        expect(server).toContain("path === '/readyz'");
      });

      it('sets every variable a service requires, from a ConfigMap or a Secret the secrets script creates', async () => {
        const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
        const secrets = secretKeys();
        for (const spec of SERVICES) {
          const c = container(find(objects, 'Deployment', spec.name)!);
          const set = new Map<string, unknown>();
          for (const from of c.envFrom ?? []) for (const key of Object.keys(configMaps.get(from.configMapRef.name) ?? {})) set.set(key, configMaps.get(from.configMapRef.name)![key]);
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref && !ref.optional) expect(secrets[ref.name], `${spec.name} ${e.name} reads secret ${ref.name}/${ref.key}`).toContain(ref.key);
            set.set(e.name, e.value ?? e.valueFrom);
          }
          const required = requiredVariables(await envShapeOf(spec));
          // Development defaults a production service refuses to start with.
          if ((spec.of ?? spec.name) === 'users') required.push('ADMIN_PASSWORD');
          if ((spec.of ?? spec.name) === 'shipping') required.push('CARRIER_WEBHOOK_SECRET');
          expect(required.length).toBeGreaterThan(0);
          for (const name of required) expect(set.has(name), `${spec.name} requires ${name}`).toBe(true);
          // Internal calls go to the callee's Service and port (the router's are in SUBGRAPH_URLS).
          for (const callee of spec.kind === 'router' ? [] : spec.calls) {
            const s = SUBGRAPHS.find((x) => x.name === callee)!;
            expect(set.get(`${callee.toUpperCase()}_URL`), `${spec.name} → ${callee}`).toBe(`http://${callee}:${s.port}/graphql`);
          }
        }
        const router = container(find(objects, 'Deployment', 'router')!);
        const urls = router.env.find((e: { name: string }) => e.name === 'SUBGRAPH_URLS').value as string;
        expect(urls.split(',').sort()).toEqual(SUBGRAPHS.map((s) => `${s.name}=http://${s.name}:${s.port}/graphql`).sort());
      });

      it('drains gracefully, autoscales, survives disruptions and spreads over zones and nodes', () => {
        const lifecycle = readFileSync(join(ROOT, 'packages/kit/src/lifecycle.ts'), 'utf8');
        expect(Number(/timeoutMs = ([\d_]+)/.exec(lifecycle)?.[1]?.replace(/_/g, '')) / 1000, 'the Lifecycle timeout is what the manifests assume').toBe(LIFECYCLE_TIMEOUT_SECONDS);
        for (const spec of SERVICES) {
          const d = find(objects, 'Deployment', spec.name)!;
          const pod = d.spec.template.spec;
          expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(PRE_STOP_SECONDS + LIFECYCLE_TIMEOUT_SECONDS);
          if (spec.port !== null) expect(pod.containers[0].lifecycle.preStop.exec.command).toEqual(['sleep', String(PRE_STOP_SECONDS)]);
          expect(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
          expect(pod.containers[0].resources.requests.cpu).toBeTruthy();
          expect(pod.containers[0].resources.limits.memory).toBeTruthy();
          expect(find(objects, 'PodDisruptionBudget', spec.name)?.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
          const hpa = find(objects, 'HorizontalPodAutoscaler', spec.name);
          if (spec.kind === 'worker') {
            expect(hpa, 'workers scale on queue depth (components/keda)').toBeUndefined();
            continue;
          }
          expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name });
          expect(hpa?.spec.metrics[0].resource.name).toBe('cpu');
          expect(d.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
        }
      });

      it('lets only the ingress controller reach the router, and each subgraph only the router and its callers', () => {
        const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
        const podNames = (peer: any): string[] => peer.podSelector?.matchExpressions?.[0]?.values ?? [];
        for (const s of SUBGRAPHS) {
          const ingress = find(objects, 'NetworkPolicy', `${s.name}-ingress`)!;
          expect(ingress.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': s.name });
          const callers = ['router', ...SERVICES.filter((c) => c.kind !== 'router' && c.calls.includes(s.name)).map((c) => c.name)];
          expect(podNames(ingress.spec.ingress[0].from[0]).sort()).toEqual(callers.sort());
          expect(callersOf(s.name).sort()).toEqual(callers.filter((c) => c !== 'router').sort());
          expect(ingress.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: s.port }]);
        }
        for (const caller of SERVICES.filter((c) => c.kind !== 'router' && c.calls.length > 0)) {
          const egress = find(objects, 'NetworkPolicy', `${caller.name}-egress`)!;
          expect(podNames(egress.spec.egress[0].to[0]).sort()).toEqual([...caller.calls].sort());
        }
        const router = find(objects, 'NetworkPolicy', 'router')!;
        expect(router.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'ingress-nginx' });
        expect(router.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: ROUTER.port }]);
        expect(find(objects, 'NetworkPolicy', 'shopgraph-default-deny')!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        expect(policies.length).toBeGreaterThan(SUBGRAPHS.length);
        // The Ingress: the router's /graphql (HTTP and WebSocket, long timeouts) and /track, and the carrier webhook.
        const backends = objects
          .filter((o) => o.kind === 'Ingress')
          .flatMap((o) => o.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => `${p.path} ${p.backend.service.name}`)));
        expect(backends.sort()).toEqual(['/graphql router', '/invoices router', '/track router', '/webhooks/carrier shipping', '/webhooks/stripe payments']);
        const annotations = find(objects, 'Ingress', 'shopgraph')!.metadata.annotations!;
        expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
        expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
        expect(Object.keys(annotations).some((a) => a.includes('affinity')), 'no sticky sessions').toBe(false);
      });

      it('runs PostgreSQL through CloudNativePG with a role and a database per subgraph, and Redis with AOF and noeviction', () => {
        const cluster = find(objects, 'Cluster', NAMES.postgres)!;
        expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
        expect(cluster.spec.instances).toBeGreaterThanOrEqual(1);
        expect(cluster.spec.bootstrap.initdb).toBeTruthy();
        expect(cluster.spec.storage.size).toBeTruthy();
        for (const s of SUBGRAPHS) {
          const role = cluster.spec.managed.roles.find((r: { name: string }) => r.name === `${s.name}_svc`);
          expect(role, `role of ${s.name}`).toMatchObject({ ensure: 'present', login: true, passwordSecret: { name: NAMES.database(s.name) } });
          expect(secretKeys()[NAMES.database(s.name)]).toEqual(['username', 'password', 'uri']);
          const database = find(objects, 'Database', NAMES.database(s.name))!;
          expect(database.spec).toMatchObject({ name: s.database, owner: `${s.name}_svc`, cluster: { name: NAMES.postgres }, databaseReclaimPolicy: 'retain' });
        }
        const redisConf = find(objects, 'ConfigMap', NAMES.redis)!.data!['redis.conf']!;
        expect(redisConf).toMatch(/^appendonly yes$/m);
        expect(redisConf).toMatch(/^maxmemory-policy noeviction$/m);
        const redis = find(objects, 'StatefulSet', NAMES.redis)!;
        expect(redis.spec.template.spec.containers[0].command).toEqual(['redis-server', '/etc/redis/redis.conf']);
        expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      });
    });
  }
});
