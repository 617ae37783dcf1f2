import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentDeliveryError } from '../src/channels/errors.ts';
import { signWebhook, WebhookChannel } from '../src/channels/webhook.ts';
import { BlockedAddressError, blockedReason, guardedLookup, webhookUrlProblem } from '../src/services/url-guard.ts';

const strict = { allowPrivate: false, allowLinkLocal: false };
const dev = { allowPrivate: true, allowLinkLocal: false };

describe('webhook URL policy', () => {
  it('accepts public http(s) URLs only', () => {
    expect(webhookUrlProblem('https://hooks.example.com/shop', strict)).toBeNull();
    expect(webhookUrlProblem('http://93.184.216.34:8080/x', strict)).toBeNull();
    expect(webhookUrlProblem('ftp://example.com', strict)).toBe('must use http or https');
    expect(webhookUrlProblem('file:///etc/passwd', strict)).toBe('must use http or https');
    expect(webhookUrlProblem('example.com/x', strict)).toBe('must be an absolute http(s) URL');
    expect(webhookUrlProblem('https://user:pw@example.com/', strict)).toBe('must not contain credentials');
  });

  it('refuses link-local / metadata addresses unless allowed, and private ones unless allowed', () => {
    expect(webhookUrlProblem('http://169.254.169.254/latest/meta-data', dev)).toMatch(/link-local/);
    expect(webhookUrlProblem('http://169.254.169.254/', { allowPrivate: true, allowLinkLocal: true })).toBeNull();
    expect(webhookUrlProblem('http://[fe80::1]/', dev)).toMatch(/link-local/);
    for (const url of ['http://127.0.0.1:3000/', 'http://localhost/', 'http://10.1.2.3/', 'http://192.168.1.1/', 'http://172.20.0.1/', 'http://[::1]/', 'http://[fd00::1]/', 'http://0.0.0.0/']) {
      expect(webhookUrlProblem(url, strict), url).not.toBeNull();
      expect(webhookUrlProblem(url, dev), url).toBeNull();
    }
    expect(blockedReason('::ffff:169.254.169.254', dev)).toMatch(/link-local/);
    expect(blockedReason('::ffff:127.0.0.1', strict)).toMatch(/loopback or private/);
  });

  it('judges IPv6 transition addresses by the IPv4 address they reach', () => {
    const loopbackOrPrivate = [
      '::7f00:1', // IPv4-compatible 127.0.0.1
      '::a00:1', // IPv4-compatible 10.0.0.1
      '::ffff:0:7f00:1', // IPv4-translated 127.0.0.1
      '64:ff9b::7f00:1', // NAT64 127.0.0.1
      '64:ff9b::c0a8:101', // NAT64 192.168.1.1
      '64:ff9b:1::8.8.8.8', // NAT64 local-use prefix: the operator's own network
      '2002:7f00:1::', // 6to4 127.0.0.1
      '2002:a00:1::1', // 6to4 10.0.0.1
      '2001:0:7f00:1::1', // Teredo with server 127.0.0.1
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo with client 127.0.0.1 (inverted)
      'fec0::1', // deprecated site-local
    ];
    for (const address of loopbackOrPrivate) {
      expect(blockedReason(address, strict), address).toMatch(/loopback or private/);
      expect(blockedReason(address, dev), address).toBeNull();
    }
    for (const address of ['64:ff9b::a9fe:a9fe', '::a9fe:a9fe', '2002:a9fe:a9fe::', '::ffff:0:a9fe:a9fe', '2001:0:4136:e378:8000:63bf:5601:5601']) {
      expect(blockedReason(address, dev), address).toMatch(/link-local/);
    }
    for (const url of ['http://[::7f00:1]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:7f00:1::]/']) {
      expect(webhookUrlProblem(url, strict), url).not.toBeNull();
    }
    // Their public counterparts stay allowed.
    for (const address of ['64:ff9b::808:808', '2002:808:808::1', '2606:4700:4700::1111', '8.8.8.8', '::ffff:8.8.8.8']) {
      expect(blockedReason(address, strict), address).toBeNull();
    }
  });

  it('checks the address a hostname resolves to when connecting', async () => {
    const lookup = guardedLookup(strict);
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', { all: true }, (err) => resolve(err)));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error!.message).toMatch(/localhost resolves to a blocked address/);
    const allowed = await new Promise<unknown>((resolve) => guardedLookup(dev)('localhost', {}, (err, address) => resolve(err ?? address)));
    expect(allowed).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('refuses again at delivery time, without connecting, when the policy forbids the address', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const content = { kind: 'webhook' as const, endpointId: 'e1', url, body: '{}' };
      // Registered while private networks were allowed; the policy has changed since.
      const strictChannel = new WebhookChannel({ policy: strict, timeoutMs: 1000 });
      await expect(strictChannel.send(content, 'evt-1', 'secret')).rejects.toBeInstanceOf(PermanentDeliveryError);
      await expect(strictChannel.send({ ...content, url: 'http://169.254.169.254/latest' }, 'evt-1', 'secret')).rejects.toThrow(/link-local/);
      expect(hits).toBe(0);
      await new WebhookChannel({ policy: dev, timeoutMs: 1000 }).send(content, 'evt-1', 'secret');
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    // Known vector: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signWebhook('whsec_test', '1700000000', '{"a":1}')).toBe('v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789');
    expect(signWebhook('whsec_test', '1700000000', '{"a":1}')).not.toBe(signWebhook('whsec_test', '1700000001', '{"a":1}'));
  });
});
