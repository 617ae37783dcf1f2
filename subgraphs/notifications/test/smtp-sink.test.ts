import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { EmailChannel } from '../src/channels/email.ts';
import { startSmtpSink } from '../src/dev/smtp-sink.ts';

/** The development mail sink of `npm start`: real SMTP in, .eml files out. */

const dir = mkdtempSync(join(tmpdir(), 'shopgraph-mail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SMTP sink', () => {
  it('saves every message it receives as an .eml file', async () => {
    const sink = await startSmtpSink({ dir });
    const channel = new EmailChannel({ smtpUrl: sink.url, from: 'shop <shop@example.com>', poolSize: 1, messageIdDomain: 'example.com' });
    try {
      await channel.send('0b0e7a86-25c5-4bb4-9f3c-8a3b1a3c1e11', 'evt-1', { kind: 'email', to: 'ada@example.com', subject: 'Hello', text: 'plain', html: '<p>html</p>' });
      const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(1);
      const mail = await simpleParser(readFileSync(join(dir, files[0]!)));
      expect(mail.subject).toBe('Hello');
      expect(mail.text?.trim()).toBe('plain');
      expect(mail.html).toContain('<p>html</p>');
      expect(mail.messageId).toBe('<0b0e7a86-25c5-4bb4-9f3c-8a3b1a3c1e11@example.com>');
      expect(mail.headers.get('x-shopgraph-event-id')).toBe('evt-1');
      expect(sink.messages[0]!.to).toEqual(['ada@example.com']);
    } finally {
      channel.close();
      await sink.stop();
    }
  });
});
