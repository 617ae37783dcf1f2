/**
 * `npm run bench:smtp`: what sending one email costs the sender, in CPU-ms per message (this process's CPU from
 * process.cpuUsage), for ways of handing a message to nodemailer, measured side by side in one run against the
 * SMTP sink of `npm start`, which runs in a child process so that its CPU is not counted. A message is about as
 * large as the planner's: an HTML and a text part, a Message-ID and the two X-Shopgraph headers.
 *
 *   npm run bench:smtp -- [--messages 3000] [--rounds 3] [--variants channel,raw,base64,raw-base64]
 *
 * - `channel`: the EmailChannel notifications sends with (nodemailer builds the MIME message while sending);
 * - `raw`: the message built first with nodemailer's MailComposer, then sent as one buffer;
 * - `base64`, `raw-base64`: the same with base64 instead of quoted-printable text parts.
 *
 * Socket writes per message: run one variant under `strace -f -c -e trace=write,writev node --import tsx
 * scripts/bench-smtp.ts --variants <name> --rounds 1` and divide the calls by the messages.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { EmailChannel } from '../subgraphs/notifications/src/channels/email.ts';
import { numberArg, printCommand, quantile, stringArg } from './lib/bench.ts';

printCommand();
const messages = numberArg('messages', 3000);
const rounds = numberArg('rounds', 3);
const variants = (stringArg('variants') ?? 'channel,raw,base64,raw-base64').split(',');

const sinkModule = fileURLToPath(new URL('../subgraphs/notifications/src/dev/smtp-sink.ts', import.meta.url));
const sinkProcess = spawn(
  process.execPath,
  ['--import', 'tsx', '--input-type=module', '-e', `const { startSmtpSink } = await import(${JSON.stringify(sinkModule)}); const s = await startSmtpSink(); s.onMessage = () => { s.messages.length = 0; }; console.log(s.url);`],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [firstLine] = (await once(sinkProcess.stdout!, 'data')) as [Buffer];
const sink = { url: firstLine.toString().trim() };
const FROM = 'Shopgraph <shop@example.com>';
const content = {
  to: 'ada.lovelace@example.com',
  subject: 'Your order SG-10023 is on its way',
  text: 'Hello Ada,\n\nYour order SG-10023 has shipped with DHL, tracking 00340434161234567890.\n'.repeat(8),
  html: '<html><body><h1>Hello Ada</h1><p>Your order <b>SG-10023</b> has shipped.</p><table><tr><td>Wool Scarf</td><td>1</td><td>€19.99</td></tr></table></body></html>'.repeat(12),
};
const channel = new EmailChannel({ smtpUrl: sink.url, from: FROM, poolSize: 5, messageIdDomain: 'shopgraph.local' });
const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: 5 });

/** One message sent the variant's way. */
function sender(variant: string): (id: string) => Promise<unknown> {
  const mail = (id: string) => ({ from: FROM, ...content, messageId: `<${id}@shopgraph.local>`, headers: { 'X-Shopgraph-Delivery-Id': id, 'X-Shopgraph-Event-Id': id } });
  const raw = (textEncoding?: 'base64') => async (id: string) =>
    transport.sendMail({ envelope: { from: 'shop@example.com', to: [content.to] }, raw: await new MailComposer({ ...mail(id), ...(textEncoding ? { textEncoding } : {}) }).compile().build() });
  switch (variant) {
    case 'channel':
      return (id) => channel.send(id, id, { kind: 'email', ...content });
    case 'raw':
      return raw();
    case 'base64':
      return (id) => transport.sendMail({ ...mail(id), textEncoding: 'base64' });
    case 'raw-base64':
      return raw('base64');
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

/** CPU-ms per message of `count` messages, 100 in flight. */
async function measure(send: (id: string) => Promise<unknown>, count: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => send(randomUUID())));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

console.log(`bench:smtp: ${messages} messages per variant and round, ${rounds} rounds in turn; the sender's CPU-ms per message`);
const results = new Map<string, number[]>(variants.map((v) => [v, []]));
for (const variant of variants) await measure(sender(variant), 100); // warm-up: connections, JIT
for (let round = 1; round <= rounds; round++) {
  for (const variant of variants) results.get(variant)!.push(await measure(sender(variant), messages));
}
for (const [variant, figures] of results) {
  console.log(`  ${variant.padEnd(12)} median ${quantile(figures, 0.5).toFixed(3)}   runs ${figures.map((f) => f.toFixed(3)).join(', ')}`);
}
channel.close();
transport.close();
sinkProcess.kill();
