/**
 * `npm run bench:jwt`: CPU per router assertion, signed and verified the kit's way (fast-jwt, node:crypto) and the
 * way jose does it (WebCrypto jobs), side by side in one process. Every subgraph request carries one assertion:
 * the router signs it, the subgraph verifies it.
 *
 *   npm run bench:jwt -- [--tokens 20000] [--rounds 3]
 *
 * CPU comes from process.cpuUsage(), which counts every thread of the process, WebCrypto's workers included.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { ASSERTION_HEADER, createAssertionSigner, createCallerVerifier, generateRouterKeyPair, requestDigest } from '@shopgraph/kit';
import { numberArg, printCommand } from './lib/bench.ts';

printCommand();
const tokens = numberArg('tokens', 20_000);
const rounds = numberArg('rounds', 3);
const { privateKey, publicKey } = generateRouterKeyPair();
const viewer = { userId: '6f1c1b3e-3b7a-4d55-9a57-0d2b8f3f1a10', role: 'CUSTOMER' as const };
const requestOf = (i: number) => ({ query: '{ products { id } }', operationName: null, variables: { i } });

/** CPU microseconds per call of `work` over `tokens` calls. */
async function cpuPer<T>(work: (i: number) => Promise<T> | T): Promise<{ perCall: number; results: T[] }> {
  const results: T[] = [];
  const before = process.cpuUsage();
  for (let i = 0; i < tokens; i++) results.push(await work(i));
  const spent = process.cpuUsage(before);
  return { perCall: (spent.user + spent.system) / tokens, results };
}

async function kit() {
  const sign = createAssertionSigner(privateKey);
  const verify = createCallerVerifier({ routerPublicKey: publicKey, internalSecret: 'unused-internal-secret-0123456789', audience: 'products' });
  const signed = await cpuPer((i) => sign({ audience: 'products', request: requestOf(i), viewer, requestId: `r${i}` }));
  const verified = await cpuPer((i) => verify({ [ASSERTION_HEADER]: signed.results[i] }, requestOf(i)));
  if (verified.results.some((caller) => caller?.kind !== 'router')) throw new Error('the kit refused its own assertion');
  return { sign: signed.perCall, verify: verified.perCall };
}

async function jose() {
  const key = createPrivateKey(privateKey);
  const pub = createPublicKey(publicKey);
  const signed = await cpuPer((i) =>
    new SignJWT({ dig: requestDigest(requestOf(i)), role: viewer.role, rid: `r${i}` })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('shopgraph-router')
      .setAudience('products')
      .setSubject(viewer.userId)
      .setIssuedAt()
      .setExpirationTime('10s')
      .sign(key),
  );
  const verified = await cpuPer(async (i) => {
    const { payload } = await jwtVerify(signed.results[i]!, pub, { issuer: 'shopgraph-router', audience: 'products', algorithms: ['EdDSA'], requiredClaims: ['exp', 'dig'], clockTolerance: 5, maxTokenAge: 10 });
    return payload.dig === requestDigest(requestOf(i));
  });
  if (verified.results.some((ok) => !ok)) throw new Error('jose refused its own assertion');
  return { sign: signed.perCall, verify: verified.perCall };
}

console.log(`router assertions (Ed25519), ${tokens} per round, CPU µs per call`);
console.log('round   kit sign   kit verify   jose sign   jose verify');
for (let round = 1; round <= rounds; round++) {
  const a = await kit();
  const b = await jose();
  console.log(`${String(round).padStart(5)} ${a.sign.toFixed(1).padStart(10)} ${a.verify.toFixed(1).padStart(12)} ${b.sign.toFixed(1).padStart(11)} ${b.verify.toFixed(1).padStart(13)}`);
}
