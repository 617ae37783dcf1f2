import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. Admins type the URLs, and the service posts from inside the network: without these
 * checks a webhook could read cloud metadata (169.254.169.254) or poke internal services (SSRF). Addresses
 * are checked when the endpoint is created (literal IPs, localhost) and again on every delivery, on the
 * address the connection actually uses (see {@link guardedLookup}), so DNS cannot swap in a blocked one.
 */
export interface NetworkPolicy {
  /** Loopback, private (RFC 1918, ULA), CGNAT and other non-public ranges. */
  allowPrivate: boolean;
  /** 169.254.0.0/16 and fe80::/10, where cloud metadata services live. */
  allowLinkLocal: boolean;
}

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

const nonPublic = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(net, bits, 'ipv4');
}
nonPublic.addAddress('::', 'ipv6');
nonPublic.addAddress('::1', 'ipv6');
nonPublic.addSubnet('fc00::', 7, 'ipv6');
nonPublic.addSubnet('ff00::', 8, 'ipv6');

/** Why `address` may not be called under `policy`, or null when it may. */
export function blockedReason(address: string, policy: NetworkPolicy): string | null {
  let ip = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (!policy.allowLinkLocal && linkLocal.check(ip, family)) return `${ip} is a link-local (metadata) address`;
  if (!policy.allowPrivate && nonPublic.check(ip, family)) return `${ip} is a loopback or private network address`;
  return null;
}

/** Checks a webhook URL as typed: http(s), no credentials, and not a blocked literal address. Returns the problem, or null. */
export function webhookUrlProblem(raw: string, policy: NetworkPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.username || url.password) return 'must not contain credentials';
  if (raw.length > 2000) return 'must be at most 2000 characters';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return blockedReason(host, policy);
  if (!policy.allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) return `${host} is a loopback address`;
  return null;
}

export class BlockedAddressError extends Error {}

/**
 * A `lookup` for http.request that resolves the host and refuses blocked addresses: the check applies to the
 * very address the socket connects to.
 */
export function guardedLookup(policy: NetworkPolicy) {
  return (
    hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true, family: typeof options.family === 'number' ? options.family : 0 }, (error, addresses) => {
      if (error) return callback(error, '');
      for (const { address } of addresses) {
        const reason = blockedReason(address, policy);
        if (reason) return callback(new BlockedAddressError(`${hostname} resolves to a blocked address: ${reason}`), '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
