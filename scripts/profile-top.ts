/**
 * Summarises a V8 CPU profile (`.cpuprofile`, from `node --cpu-prof`): the functions with the most self time,
 * and the packages (or source folders) that time falls in.
 *
 *   node --import tsx scripts/profile-top.ts <file.cpuprofile> [--top 25] [--share prom-client,pino,firstErrorCode] [--after 25]
 *
 * `--share a,b,…`: the self-time share of the frames whose function name or script URL contains each of the given
 * texts, module top-level code left out (that is import time, not work): what one library or function costs.
 * `--after seconds`: only what was sampled that long after the process started (start-up left out); `--before
 * seconds`: only what was sampled before then.
 * `--callers name`: whose work the self time of the named native or Node function is (socket writes, say), by the
 * nearest calling frame outside Node's own code: a package, or a function of the project's code. Work that only
 * Node's own code called (a timer firing, a stream's teardown) is named by its two nearest callers.
 */
import { readFileSync } from 'node:fs';
import { numberArg, stringArg } from './lib/bench.ts';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [--top N] [--share a,b,…]');
const top = numberArg('top', 25);
const shares = (stringArg('share') ?? '').split(',').filter(Boolean);
const callersOf = stringArg('callers');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, Node>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
// `--after <seconds>`: only the samples taken that long after the profile began (leave start-up out).
const afterUs = numberArg('after', 0) * 1e6;
// `--before <seconds>`: and only what was sampled before then (a benchmark's teardown left out).
const beforeUs = numberArg('before', Infinity) * 1e6;
const selfUs = new Map<number, number>();
let elapsedUs = 0;
profile.samples.forEach((id, i) => {
  elapsedUs += profile.timeDeltas[i] ?? 0;
  if (elapsedUs >= afterUs && elapsedUs < beforeUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** Where a frame's code lives: a package name, a source folder, or a V8/Node category. */
function placeOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const own = /(subgraphs\/[^/]+|router|packages\/kit|dist\/[^/]+)/.exec(url);
  return own ? own[1]! : url;
}

const functions = new Map<string, number>();
const places = new Map<string, number>();
const shared = new Map(shares.map((text) => [text, 0]));
let total = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  total += us;
  if (functionName === '(idle)') continue;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|subgraphs|router|packages)\//, '$1/')}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
  if (functionName) for (const text of shares) if (functionName.includes(text) || url.includes(text)) shared.set(text, shared.get(text)! + us);
  const place = placeOf(url, functionName);
  places.set(place, (places.get(place) ?? 0) + us);
}
const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy of ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\nself time by package / folder');
for (const [place, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${place}`);
if (shares.length > 0) {
  console.log('\nshare of self time (module top-level code left out)');
  for (const [text, us] of shared) console.log(`  ${((100 * us) / busy).toFixed(2).padStart(6)} %  ${text}`);
}
console.log(`\ntop ${top} functions by self time`);
for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${key}`);

/** A frame of Node's own code: function and file. */
const nodeFrame = (node: Node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^node:internal\//, '')}`;

/** For a sample whose callers are all Node's own code (timers, stream teardown): its two nearest callers. */
function nodeOnly(id: number): string {
  const first = parentOf.get(id);
  const second = first && parentOf.get(first.id);
  return `(Node only) ${[first, second].filter((n): n is Node => !!n && n.callFrame.url !== '').map(nodeFrame).join(' < ') || '(root)'}`;
}

if (callersOf) {
  const byCaller = new Map<string, number>();
  let spent = 0;
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName !== callersOf) continue;
    spent += us;
    let caller = parentOf.get(id);
    while (caller && (!caller.callFrame.url || caller.callFrame.url.startsWith('node:'))) caller = parentOf.get(caller.id);
    const place = caller ? placeOf(caller.callFrame.url, caller.callFrame.functionName) : nodeOnly(id);
    const name = caller && /^(dist|subgraphs|router|packages)/.test(place) ? `${place} ${caller.callFrame.functionName || '(anonymous)'}` : place;
    byCaller.set(name, (byCaller.get(name) ?? 0) + us);
  }
  console.log(`\n${callersOf}: ${pct(spent)} of busy time, by nearest caller outside Node (or, for work of Node's own, its two nearest callers)`);
  for (const [name, us] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(us)}  ${name}`);
}
