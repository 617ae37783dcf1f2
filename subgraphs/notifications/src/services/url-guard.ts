import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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

type Verdict = 'public' | 'nonPublic' | 'linkLocal';

/** ipaddr.js ranges that are not the public internet (link-local is told apart: see NetworkPolicy). */
const NON_PUBLIC_RANGES = new Set([
  // IPv4
  'unspecified', 'broadcast', 'multicast', 'loopback', 'carrierGradeNat', 'private', 'reserved',
  // IPv6
  'uniqueLocal', 'deprecatedSiteLocal', 'discard', 'benchmarking', 'deprecatedOrchid', 'orchid2',
  'droneRemoteIdProtocolEntityTags', 'segmentRouting',
]);

const ipv4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/**
 * The IPv4 addresses an IPv6 address carries and reaches through a transition mechanism: IPv4-mapped and
 * -translated (::ffff:a.b.c.d, ::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4
 * (2002:AABB:CCDD::/16) and Teredo (2001::/32: server, and the client obfuscated by inversion). A host or
 * gateway that speaks these delivers to the embedded IPv4 address, so that is the one to judge.
 */
function embeddedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4[] {
  const p = address.parts;
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return [ipv4(p[6]!, p[7]!)];
    case '6to4':
      return [ipv4(p[1]!, p[2]!)];
    case 'teredo':
      return [ipv4(p[2]!, p[3]!), ipv4(~p[6]! & 0xffff, ~p[7]! & 0xffff)];
    default:
      // IPv4-compatible (deprecated): ::/96 apart from :: and ::1, which range() names itself.
      return range === 'unicast' && p.slice(0, 6).every((x) => x === 0) ? [ipv4(p[6]!, p[7]!)] : [];
  }
}

function verdict(address: ipaddr.IPv4 | ipaddr.IPv6): Verdict {
  const range = address.range();
  if (range === 'linkLocal') return 'linkLocal';
  if (address.kind() === 'ipv6') {
    // NAT64's local-use prefix (RFC 8215) translates into the operator's own network.
    if (range === 'rfc6052' && address.match(ipaddr.IPv6.parse('64:ff9b:1::'), 48)) return 'nonPublic';
    const embedded = embeddedIPv4(address as ipaddr.IPv6, range).map(verdict);
    if (embedded.includes('linkLocal')) return 'linkLocal';
    if (embedded.includes('nonPublic')) return 'nonPublic';
  }
  return NON_PUBLIC_RANGES.has(range) ? 'nonPublic' : 'public';
}

/** Why `address` may not be called under `policy`, or null when it may. */
export function blockedReason(address: string, policy: NetworkPolicy): string | null {
  const ip = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(ip)) return `${ip} is not an IP address`;
  const found = verdict(ipaddr.parse(ip));
  if (found === 'linkLocal' && !policy.allowLinkLocal) return `${ip} is a link-local (metadata) address`;
  if (found === 'nonPublic' && !policy.allowPrivate) return `${ip} is a loopback or private network address`;
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
