/**
 * `node --import tsx scripts/keygen.ts <dir>` creates the stack's shared credentials in `<dir>`:
 *
 *   router.key       PKCS#8 PEM of an Ed25519 key: the router signs identity assertions with it (mode 0600)
 *   router.pub       SPKI PEM of the same key pair: subgraphs verify the assertions with it (mode 0644)
 *   internal.secret  64 hex characters shared by subgraphs for internal calls (mode 0600)
 *
 * Files that already exist are kept (never overwritten), so it is safe to run on every `docker compose up`.
 * Services read them through `ROUTER_PRIVATE_KEY_FILE`, `ROUTER_PUBLIC_KEY_FILE` and `INTERNAL_SECRET_FILE`.
 * Secrets are never printed.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node --import tsx scripts/keygen.ts <directory>');
  process.exit(2);
}

const KEY = join(dir, 'router.key');
const PUB = join(dir, 'router.pub');
const SECRET = join(dir, 'internal.secret');

/** Writes `path` atomically (temp file + hard link), failing instead of replacing an existing file. */
function writeNew(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, mode); // the umask may have narrowed it; make it exact
    linkSync(tmp, path); // EEXIST if another run won the race: its file is kept
  } finally {
    unlinkSync(tmp);
  }
  console.log(`${path}: created`);
}

function fail(message: string): never {
  console.error(`keygen: ${message}`);
  process.exit(1);
}

mkdirSync(dir, { recursive: true, mode: 0o700 });

// Key pair: the private key is the source of truth; the public key is derived from it.
let privateKey: KeyObject;
if (existsSync(KEY)) {
  try {
    privateKey = createPrivateKey(readFileSync(KEY, 'utf8'));
  } catch {
    fail(`${KEY} exists but is not a readable PEM private key; remove it (and ${PUB}) to generate a new pair`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') fail(`${KEY} is a ${privateKey.asymmetricKeyType} key, expected ed25519`);
  console.log(`${KEY}: exists, kept`);
} else {
  if (existsSync(PUB)) fail(`${PUB} exists without ${KEY}; remove it to generate a new pair`);
  privateKey = generateKeyPairSync('ed25519').privateKey;
  writeNew(KEY, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
}

const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
if (existsSync(PUB)) {
  if (readFileSync(PUB, 'utf8').trim() !== publicPem.trim()) fail(`${PUB} does not match ${KEY}; remove ${PUB} to derive it again`);
  console.log(`${PUB}: exists, kept`);
} else {
  writeNew(PUB, publicPem, 0o644);
}

if (existsSync(SECRET)) {
  if (readFileSync(SECRET, 'utf8').trim().length < 32) fail(`${SECRET} is shorter than 32 characters; remove it to generate a new one`);
  console.log(`${SECRET}: exists, kept`);
} else {
  writeNew(SECRET, randomBytes(32).toString('hex'), 0o600);
}
