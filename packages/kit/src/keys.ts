/**
 * The router's key pair, apart from auth.ts so that `npm start` can make one without loading fast-jwt and
 * graphql: it imports `@shopgraph/kit/keys`.
 */
import { generateKeyPairSync } from 'node:crypto';

/** Generates the router's Ed25519 key pair as PEM strings (used by `npm start` and tests). */
export function generateRouterKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
