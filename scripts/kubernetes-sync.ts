/**
 * `node --import tsx scripts/kubernetes-sync.ts`: writes the parts of deploy/kubernetes/ that follow from the
 * service registry (scripts/services.ts) — one file per service (Deployment, Service, PodDisruptionBudget,
 * HorizontalPodAutoscaler), the NetworkPolicies (who may call whom, from each service's `calls`), the
 * CloudNativePG Cluster with a role and a Database per subgraph, the optional KEDA ScaledObjects of the workers
 * and the optional ExternalSecrets. `--check` changes nothing and fails when a file is stale
 * (test/kubernetes.test.ts runs it). Everything else in deploy/kubernetes/ is written by hand.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { envName, ROUTER, SERVICES, type ServiceSpec, SUBGRAPHS, WORKERS } from './services.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const KUBERNETES_DIR = join(ROOT, 'deploy/kubernetes');

/** Names shared by the manifests, the secrets script and the tests. */
export const NAMES = {
  config: 'shopgraph-config',
  routerKey: 'shopgraph-router-key',
  internal: 'shopgraph-internal',
  redis: 'shopgraph-redis',
  postgres: 'shopgraph-pg',
  database: (subgraph: string) => `shopgraph-db-${subgraph}`,
  role: (subgraph: string) => `${subgraph}_svc`,
  /** Secret of a service's own credentials (users: admin password, shipping: carrier secret, ...). */
  own: (service: string) => `shopgraph-${service}`,
  queuePrefix: 'shopgraph',
};

/**
 * Requests and limits per service, from `node --import tsx scripts/bench-resources.ts --customers 50 --rounds 2`
 * (the compiled stack as `npm start` runs it, drizzle-orm bundled; 100 customers registering and checking out;
 * 2 cores, heavily loaded). Measured idle RSS / peak RSS under load, MB, and CPU seconds per checkout:
 *
 *   router 296 / 342, 0.062   users 132 / 209, 0.043 (password hashing)   products 171 / 175, 0.011
 *   inventory 186 / 192, 0.020   pricing 196 / 203, 0.015   payments 140 / 158, 0.034   shipping 142 / 180, 0.035
 *   orders (with its checkout worker) 144 / 282, 0.103   notifications (with its workers) 140 / 245, 0.058
 *
 * Memory request = the peak rounded up, limit ≈ 2 × that (V8 grows its heap in steps; an OOM kill mid-saga
 * costs a retry). CPU request ≈ what a replica uses at a few checkouts a second, so the HPA's 70 % target adds
 * replicas as load grows; no CPU limit (throttling a Node event loop stalls every request on it). The worker
 * Deployments get the figures of the subgraph they were measured inside.
 */
export const RESOURCES: Record<string, { cpu: string; memory: string; memoryLimit: string }> = {
  router: { cpu: '250m', memory: '384Mi', memoryLimit: '768Mi' },
  users: { cpu: '200m', memory: '224Mi', memoryLimit: '512Mi' },
  products: { cpu: '100m', memory: '192Mi', memoryLimit: '384Mi' },
  inventory: { cpu: '100m', memory: '224Mi', memoryLimit: '448Mi' },
  pricing: { cpu: '100m', memory: '224Mi', memoryLimit: '448Mi' },
  payments: { cpu: '100m', memory: '192Mi', memoryLimit: '384Mi' },
  shipping: { cpu: '100m', memory: '192Mi', memoryLimit: '384Mi' },
  orders: { cpu: '250m', memory: '320Mi', memoryLimit: '640Mi' },
  notifications: { cpu: '150m', memory: '256Mi', memoryLimit: '512Mi' },
  // Not measured by bench-resources yet: sized like notifications (workers in-process), with headroom for training
  // (the content model holds the catalog's term vectors in memory).
  recommendations: { cpu: '150m', memory: '256Mi', memoryLimit: '640Mi' },
  'orders-worker': { cpu: '200m', memory: '320Mi', memoryLimit: '640Mi' },
  'notifications-worker': { cpu: '150m', memory: '256Mi', memoryLimit: '512Mi' },
};

/**
 * The kit's Lifecycle gives a stopping process 15 s (packages/kit/src/lifecycle.ts); before it, the preStop
 * sleep keeps a terminating pod serving while endpoints and the ingress controller drop it.
 */
export const PRE_STOP_SECONDS = 5;
export const LIFECYCLE_TIMEOUT_SECONDS = 15;
export const TERMINATION_GRACE_SECONDS = 30;

/** Queues a worker consumes (BullMQ keeps waiting jobs in the list `<prefix>:<queue>:wait`). */
export const WORKER_QUEUES: Record<string, string[]> = {
  'orders-worker': ['orders.checkout'],
  'notifications-worker': ['orders.status-changed.notifications', 'notifications.deliveries'],
};

type Env = Record<string, unknown>;
const value = (name: string, v: string): Env => ({ name, value: v });
const secret = (name: string, secretName: string, key: string, optional = false): Env => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } },
});

const byName = (name: string) => SUBGRAPHS.find((s) => s.name === name)!;
const graphqlUrl = (s: ServiceSpec) => `http://${s.name}:${s.port}/graphql`;

/** Variables with no default in a service's env shape, and its own secrets, as Kubernetes sets them. */
function serviceEnv(spec: ServiceSpec): Env[] {
  if (spec.kind === 'router') {
    return [
      value('PORT', String(spec.port)),
      secret('ROUTER_PRIVATE_KEY', NAMES.routerKey, 'router.key'),
      secret('REDIS_URL', NAMES.redis, 'url'),
      value('SUBGRAPH_URLS', SUBGRAPHS.map((s) => `${s.name}=${graphqlUrl(s)}`).join(',')),
      value('JWKS_URL', `http://users:${byName('users').port}/.well-known/jwks.json`),
      // Behind ingress-nginx the client address is in X-Forwarded-For. Safe only because the NetworkPolicy lets
      // nothing but the ingress controller reach the router.
      value('TRUST_PROXY', 'true'),
    ];
  }
  const owner = spec.of ?? spec.name;
  const env: Env[] = [
    ...(spec.port ? [value('PORT', String(spec.port))] : []),
    secret('DATABASE_URL', NAMES.database(owner), 'uri'),
    secret('REDIS_URL', NAMES.redis, 'url'),
    secret('ROUTER_PUBLIC_KEY', NAMES.internal, 'router.pub'),
    secret('INTERNAL_SECRET', NAMES.internal, 'internal.secret'),
    ...spec.calls.map((callee) => value(`${envName(callee)}_URL`, graphqlUrl(byName(callee)))),
  ];
  // A subgraph whose workers run in their own Deployment runs none in its server.
  if (spec.name === 'orders' && WORKERS.some((w) => w.of === 'orders')) env.push(value('CHECKOUT_WORKER', 'false'));
  if (spec.name === 'notifications' && WORKERS.some((w) => w.of === 'notifications')) env.push(value('NOTIFY_WORKERS', 'false'));
  if (owner === 'users') env.push(secret('ADMIN_PASSWORD', NAMES.own('users'), 'admin-password'));
  if (owner === 'shipping') env.push(secret('CARRIER_WEBHOOK_SECRET', NAMES.own('shipping'), 'carrier-webhook-secret'));
  // The sandbox unless the Secret switches to Stripe (payment-provider: stripe, with both Stripe secrets).
  if (owner === 'payments') {
    env.push(...['PAYMENT_PROVIDER', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'].map((v) => secret(v, NAMES.own('payments'), v.toLowerCase().replace(/_/g, '-'), true)));
  }
  if (owner === 'notifications') {
    env.push(
      secret('SMTP_URL', NAMES.own('notifications'), 'smtp-url'),
      // SMS stays off unless all four are in the Secret.
      ...['SMS_API_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM'].map((v) => secret(v, NAMES.own('notifications'), v.toLowerCase().replace(/_/g, '-'), true)),
    );
  }
  return env;
}

export const labels = (spec: ServiceSpec) => ({
  'app.kubernetes.io/name': spec.name,
  'app.kubernetes.io/component': spec.kind,
  'app.kubernetes.io/part-of': 'shopgraph',
});
const selector = (spec: ServiceSpec) => ({ 'app.kubernetes.io/name': spec.name });

function deployment(spec: ServiceSpec): Env {
  const r = RESOURCES[spec.name];
  if (!r) throw new Error(`scripts/kubernetes-sync.ts: no RESOURCES entry for ${spec.name}`);
  const http = spec.port !== null;
  const probe = (path: string, extra: Env) => ({ httpGet: { path, port: 'http' }, timeoutSeconds: 3, ...extra });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, labels: labels(spec) },
    spec: {
      // Router and subgraphs: no `replicas`, the HorizontalPodAutoscaler owns it (an apply would reset it).
      ...(http ? {} : { replicas: 2 }),
      revisionHistoryLimit: 5,
      // A new pod must be ready (migrated, listening) before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: selector(spec) },
      template: {
        metadata: { labels: labels(spec) },
        spec: {
          automountServiceAccountToken: false,
          // No <SERVICE>_PORT / _HOST variables injected for every Service in the namespace.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: selector(spec) },
            matchLabelKeys: ['pod-template-hash'],
          })),
          containers: [
            {
              name: spec.name,
              image: `shopgraph/${spec.name}`,
              ...(http ? { ports: [{ name: 'http', containerPort: spec.port }] } : {}),
              envFrom: [{ configMapRef: { name: NAMES.config } }],
              env: serviceEnv(spec),
              resources: { requests: { cpu: r.cpu, memory: r.memory }, limits: { memory: r.memoryLimit } },
              ...(http
                ? {
                    // Start-up migrates the database (under an advisory lock) before listening: up to 5 minutes.
                    startupProbe: probe('/healthz', { periodSeconds: 5, failureThreshold: 60 }),
                    readinessProbe: probe('/readyz', { periodSeconds: 5, failureThreshold: 2 }),
                    livenessProbe: probe('/healthz', { periodSeconds: 10, failureThreshold: 3 }),
                    lifecycle: { preStop: { exec: { command: ['sleep', String(PRE_STOP_SECONDS)] } } },
                  }
                : {}),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

function serviceObjects(spec: ServiceSpec): Env[] {
  const objects: Env[] = [deployment(spec)];
  if (spec.port !== null) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: spec.name, labels: labels(spec) },
      spec: { selector: selector(spec), ports: [{ name: 'http', port: spec.port, targetPort: 'http' }] },
    });
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: spec.name, labels: labels(spec) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
  }
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.name, labels: labels(spec) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(spec) } },
  });
  return objects;
}

const nameIn = (names: string[]) => ({ podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: names }] } });
const APP_PODS = { matchLabels: { 'app.kubernetes.io/part-of': 'shopgraph' } };

/** Processes (subgraphs and their workers) that call `callee`'s internal operations. */
export function callersOf(callee: string): string[] {
  return SERVICES.filter((s) => s.kind !== 'router' && s.calls.includes(callee)).map((s) => s.name);
}

function networkPolicies(): Env[] {
  const policy = (name: string, spec: Env): Env => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, labels: { 'app.kubernetes.io/part-of': 'shopgraph' } }, spec });
  const dns = { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] };
  const redis = { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/part-of': 'shopgraph' } } }], ports: [{ protocol: 'TCP', port: 6379 }] };
  const postgres = { to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': NAMES.postgres } } }], ports: [{ protocol: 'TCP', port: 5432 }] };
  const policies: Env[] = [
    // Everything not allowed below is refused, both ways, for every shopgraph pod.
    policy('shopgraph-default-deny', { podSelector: APP_PODS, policyTypes: ['Ingress', 'Egress'] }),
    policy('shopgraph-egress-dns-redis', { podSelector: APP_PODS, policyTypes: ['Egress'], egress: [dns, redis] }),
    policy('shopgraph-egress-postgres', {
      podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['subgraph', 'worker'] }] },
      policyTypes: ['Egress'],
      egress: [postgres],
    }),
    // The router: reached from the ingress controller only; it calls every subgraph.
    policy('router', {
      podSelector: { matchLabels: selector(ROUTER) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }],
          ports: [{ protocol: 'TCP', port: ROUTER.port }],
        },
      ],
      egress: [{ to: [nameIn(SUBGRAPHS.map((s) => s.name))], ports: [...new Set(SUBGRAPHS.map((s) => s.port))].map((port) => ({ protocol: 'TCP', port })) }],
    }),
  ];
  for (const s of SUBGRAPHS) {
    const callers = callersOf(s.name);
    policies.push(
      policy(`${s.name}-ingress`, {
        podSelector: { matchLabels: selector(s) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [nameIn(['router', ...callers])], ports: [{ protocol: 'TCP', port: s.port }] }],
      }),
    );
  }
  for (const caller of SERVICES.filter((s) => s.kind !== 'router' && s.calls.length > 0)) {
    policies.push(
      policy(`${caller.name}-egress`, {
        podSelector: { matchLabels: selector(caller) },
        policyTypes: ['Egress'],
        egress: [{ to: [nameIn(caller.calls)], ports: [...new Set(caller.calls.map((c) => byName(c).port))].map((port) => ({ protocol: 'TCP', port })) }],
      }),
    );
  }
  // notifications sends mail (SMTP), SMS and webhooks to the internet: any public address, no private ranges
  // (the same rule as its webhook URL guard; an SMTP relay inside the cluster needs its own rule).
  const senders = SERVICES.filter((s) => (s.of ?? s.name) === 'notifications').map((s) => s.name);
  policies.push(
    policy('notifications-egress-internet', {
      podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: senders }] },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'] } }] }],
    }),
  );
  // payments calls Stripe's API (HTTPS) when PAYMENT_PROVIDER=stripe.
  policies.push(
    policy('payments-egress-stripe', {
      podSelector: { matchLabels: selector(byName('payments')) },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'] } }],
          ports: [{ protocol: 'TCP', port: 443 }],
        },
      ],
    }),
  );
  return policies;
}

function postgresObjects(): Env[] {
  return [
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: NAMES.postgres, labels: { 'app.kubernetes.io/part-of': 'shopgraph' } },
      spec: {
        instances: 3,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17',
        // The operator's default `app` database and owner stay unused: every subgraph has its own below.
        bootstrap: { initdb: { database: 'app', owner: 'app' } },
        postgresql: {
          parameters: {
            // Each process keeps a pool of up to 10 connections (packages/kit/src/db.ts): replicas × 10 per subgraph.
            max_connections: '500',
          },
        },
        storage: { size: '20Gi' },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
        managed: {
          roles: SUBGRAPHS.map((s) => ({
            name: NAMES.role(s.name),
            ensure: 'present',
            login: true,
            comment: `shopgraph ${s.name} subgraph`,
            passwordSecret: { name: NAMES.database(s.name) },
          })),
        },
      },
    },
    ...SUBGRAPHS.map((s) => ({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Database',
      metadata: { name: NAMES.database(s.name), labels: { 'app.kubernetes.io/part-of': 'shopgraph' } },
      spec: { name: s.database, owner: NAMES.role(s.name), cluster: { name: NAMES.postgres }, ensure: 'present', databaseReclaimPolicy: 'retain' },
    })),
  ];
}

function scaledObjects(): Env[] {
  return WORKERS.map((w) => ({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: w.name, labels: labels(w) },
    spec: {
      scaleTargetRef: { name: w.name },
      minReplicaCount: 2,
      maxReplicaCount: 10,
      // Ignore brief spikes; a worker drains its jobs before it goes (Lifecycle).
      cooldownPeriod: 300,
      triggers: (WORKER_QUEUES[w.name] ?? []).map((queue) => ({
        type: 'redis',
        metadata: {
          // KEDA's operator resolves this from its own namespace: the full name of the in-cluster Redis in the
          // `shopgraph` namespace (an overlay with another namespace, or a managed Redis, patches it).
          address: `${NAMES.redis}.shopgraph.svc.cluster.local:6379`,
          listName: `${NAMES.queuePrefix}:${queue}:wait`,
          // Waiting jobs per replica before another is added.
          listLength: '50',
          activationListLength: '1',
        },
      })),
    },
  }));
}

function externalSecrets(): Env[] {
  const es = (name: string, data: Array<[string, string]>, type?: string): Env => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'shopgraph' } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'shopgraph' },
      target: { name, creationPolicy: 'Owner', ...(type ? { template: { type } } : {}) },
      data: data.map(([secretKey, key]) => ({ secretKey, remoteRef: { key: `shopgraph/${name.replace(/^shopgraph-/, '')}`, property: key } })),
    },
  });
  return [
    es(NAMES.routerKey, [['router.key', 'router.key']]),
    es(NAMES.internal, [['router.pub', 'router.pub'], ['internal.secret', 'internal.secret']]),
    es(NAMES.redis, [['url', 'url']]),
    es(NAMES.own('users'), [['admin-password', 'admin-password']]),
    es(NAMES.own('shipping'), [['carrier-webhook-secret', 'carrier-webhook-secret']]),
    es(NAMES.own('notifications'), [['smtp-url', 'smtp-url']]),
    ...SUBGRAPHS.map((s) => es(NAMES.database(s.name), [['username', 'username'], ['password', 'password'], ['uri', 'uri']], 'kubernetes.io/basic-auth')),
  ];
}

const HEADER = '# Written by `node --import tsx scripts/kubernetes-sync.ts` from scripts/services.ts; do not edit.\n';
const yamlDocs = (objects: Env[]) => HEADER + objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
const kustomization = (resources: string[], kind = 'Kustomization') =>
  HEADER + stringify({ apiVersion: kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1', kind, resources });

/** Every generated file, relative to deploy/kubernetes/, with its content. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const spec of SERVICES) files[`base/services/${spec.name}.yaml`] = yamlDocs(serviceObjects(spec));
  files['base/services/network-policies.yaml'] = yamlDocs(networkPolicies());
  files['base/services/kustomization.yaml'] = kustomization([...SERVICES.map((s) => `${s.name}.yaml`), 'network-policies.yaml']);
  files['data/postgres.yaml'] = yamlDocs(postgresObjects());
  files['components/keda/scaled-objects.yaml'] = yamlDocs(scaledObjects());
  files['components/external-secrets/external-secrets.yaml'] = yamlDocs(externalSecrets());
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const check = process.argv.includes('--check');
  const files = generatedFiles();
  const stale: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const file = join(KUBERNETES_DIR, path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (current === content) continue;
    stale.push(path);
    if (!check) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  // A service removed from the registry leaves no file behind.
  const servicesDir = join(KUBERNETES_DIR, 'base/services');
  for (const name of existsSync(servicesDir) ? readdirSync(servicesDir) : []) {
    const path = relative(KUBERNETES_DIR, join(servicesDir, name));
    if (files[path]) continue;
    stale.push(path);
    if (!check) rmSync(join(servicesDir, name));
  }
  if (check && stale.length > 0) {
    console.error(`deploy/kubernetes is stale (${stale.join(', ')}): run node --import tsx scripts/kubernetes-sync.ts`);
    process.exit(1);
  }
  console.log(stale.length ? `written: ${stale.join(', ')}` : 'deploy/kubernetes is up to date');
}
