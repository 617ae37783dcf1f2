import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

/** A message the sink received, raw (RFC 5322) as the client sent it. */
export interface ReceivedMail {
  from: string | null;
  to: string[];
  raw: Buffer;
  receivedAt: number;
}

export interface SmtpSink {
  port: number;
  host: string;
  url: string;
  messages: ReceivedMail[];
  /** Called for every message as it arrives. */
  onMessage?: (mail: ReceivedMail) => void;
  stop(): Promise<void>;
}

/**
 * A local SMTP server that accepts every message (no auth, no TLS) and keeps it: in memory, and as an .eml
 * file in `dir` when given. `npm start` runs one as the development mail sink; tests and the benchmark run
 * their own on a free port, to assert on what really arrived over SMTP.
 */
export async function startSmtpSink(options: { port?: number; host?: string; dir?: string; delayMs?: number } = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  let counter = 0;
  const sink: SmtpSink = { port: 0, host, url: '', messages: [], stop: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          receivedAt: Date.now(),
        };
        const finish = () => {
          sink.messages.push(mail);
          if (options.dir) {
            counter += 1;
            writeFileSync(join(options.dir, `${new Date(mail.receivedAt).toISOString().replace(/[:.]/g, '-')}-${counter}.eml`), mail.raw);
          }
          sink.onMessage?.(mail);
          callback();
        };
        if (options.delayMs) setTimeout(finish, options.delayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  server.on('error', () => {});
  const address = server.server.address();
  sink.port = typeof address === 'object' && address ? address.port : 0;
  sink.url = `smtp://${host}:${sink.port}`;
  sink.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
