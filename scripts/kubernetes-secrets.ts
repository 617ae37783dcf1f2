/**
 * `node --import tsx scripts/kubernetes-secrets.ts --namespace shopgraph --smtp-url smtps://user:pass@smtp.example.com:465`
 * creates every Secret deploy/kubernetes/ reads, with `kubectl` (current context): the router key pair and the
 * internal secret (made by scripts/keygen.ts), a password and connection URL per subgraph database (URL-safe,
 * random), the Redis URL, the admin password, the carrier webhook secret and the SMTP URL. A Secret that
 * already exists is kept, never overwritten, so running it again is safe; delete one to make it anew.
 * Nothing secret is printed, unless `--print` asks for the manifests instead of applying them (to store the
 * values in a secret manager for components/external-secrets).
 *
 * Options (defaults in brackets): --namespace [shopgraph], --postgres-host [shopgraph-pg-rw],
 * --postgres-port [5432], --postgres-options (appended to each URL, e.g. '?sslmode=require') [''],
 * --redis-url [redis://shopgraph-redis:6379], --smtp-url [$SMTP_URL, required], --admin-password
 * [$ADMIN_PASSWORD, else random], --carrier-webhook-secret [$CARRIER_WEBHOOK_SECRET, else random],
 * --sms-api-url, --sms-account-sid, --sms-auth-token, --sms-from (SMS stays off unless all four are given).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NAMES } from './kubernetes-sync.ts';
import { SUBGRAPHS } from './services.ts';

function option(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const namespace = option('namespace', 'shopgraph')!;
const print = process.argv.includes('--print');
const smtpUrl = option('smtp-url', process.env.SMTP_URL) ?? '';
const token = () => randomBytes(24).toString('hex');

interface Secret {
  name: string;
  type?: string;
  /** The keys the manifests may read (optional SMS keys aside). */
  keys: string[];
  data: () => Record<string, string>;
}

/** The router key pair and the internal secret, made once by scripts/keygen.ts in a temporary directory. */
const keys = (() => {
  let made: Record<string, string> | undefined;
  return () => {
    if (made) return made;
    const dir = mkdtempSync(join(tmpdir(), 'shopgraph-keys-'));
    try {
      execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('keygen.ts', import.meta.url)), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
      const read = (file: string) => readFileSync(join(dir, file), 'utf8');
      made = { 'router.key': read('router.key'), 'router.pub': read('router.pub'), 'internal.secret': read('internal.secret').trim() };
      return made;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
})();

const host = option('postgres-host', `${NAMES.postgres}-rw`)!;
const port = option('postgres-port', '5432')!;
const pgOptions = option('postgres-options', '')!;
const sms = Object.fromEntries(
  ['sms-api-url', 'sms-account-sid', 'sms-auth-token', 'sms-from'].map((key) => [key, option(key)]).filter((entry): entry is [string, string] => Boolean(entry[1])),
);
const only = (names: string[]) => () => Object.fromEntries(names.map((n) => [n, keys()[n]!]));

const secrets: Secret[] = [
  // The router alone holds the private key; subgraphs get the public key and the internal secret.
  { name: NAMES.routerKey, keys: ['router.key'], data: only(['router.key']) },
  { name: NAMES.internal, keys: ['router.pub', 'internal.secret'], data: only(['router.pub', 'internal.secret']) },
  { name: NAMES.redis, keys: ['url'], data: () => ({ url: option('redis-url', `redis://${NAMES.redis}:6379`)! }) },
  { name: NAMES.own('users'), keys: ['admin-password'], data: () => ({ 'admin-password': option('admin-password', process.env.ADMIN_PASSWORD) ?? token() }) },
  {
    name: NAMES.own('shipping'),
    keys: ['carrier-webhook-secret'],
    data: () => ({ 'carrier-webhook-secret': option('carrier-webhook-secret', process.env.CARRIER_WEBHOOK_SECRET) ?? token() }),
  },
  { name: NAMES.own('notifications'), keys: ['smtp-url'], data: () => ({ 'smtp-url': smtpUrl, ...sms }) },
  // CloudNativePG reads username and password (basic-auth) for the role; the service reads uri.
  ...SUBGRAPHS.map((s) => ({
    name: NAMES.database(s.name),
    type: 'kubernetes.io/basic-auth',
    keys: ['username', 'password', 'uri'],
    data: () => {
      const username = NAMES.role(s.name);
      const password = token();
      return { username, password, uri: `postgres://${username}:${password}@${host}:${port}/${s.database}${pgOptions}` };
    },
  })),
];

/** Every Secret this script creates, with its keys: all the manifests may read. */
export function secretKeys(): Record<string, string[]> {
  return Object.fromEntries(secrets.map((s) => [s.name, s.keys]));
}

const manifest = (s: Secret) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: s.name, namespace, labels: { 'app.kubernetes.io/part-of': 'shopgraph' } },
  ...(s.type ? { type: s.type } : {}),
  stringData: s.data(),
});

function main(): void {
  if (!smtpUrl) {
    console.error('--smtp-url (or SMTP_URL) is required: the mail server notifications sends through, e.g. smtps://user:password@smtp.example.com:465');
    process.exit(2);
  }
  if (print) {
    console.log(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: secrets.map(manifest) }, null, 2));
  } else {
    const exists = (name: string) => spawnSync('kubectl', ['get', 'secret', name, '--namespace', namespace], { stdio: 'ignore' }).status === 0;
    const missing = secrets.filter((s) => {
      if (!exists(s.name)) return true;
      console.log(`secret/${s.name}: exists, kept`);
      return false;
    });
    if (missing.length > 0) {
      const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: missing.map(manifest) });
      execFileSync('kubectl', ['create', '--namespace', namespace, '-f', '-'], { input: list, stdio: ['pipe', 'inherit', 'inherit'] });
    }
    if (missing.some((s) => s.name === NAMES.own('users')) && !option('admin-password', process.env.ADMIN_PASSWORD)) {
      console.log(`The admin password was generated: kubectl get secret ${NAMES.own('users')} -n ${namespace} -o jsonpath='{.data.admin-password}' | base64 -d`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) main();
