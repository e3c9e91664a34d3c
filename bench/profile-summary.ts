import fs from 'node:fs';
import path from 'node:path';

// npx tsx bench/profile-summary.ts FILE.cpuprofile [--top 25]
// Summarises a `node --cpu-prof` profile (e.g. from `npm run bench -- --profile`): where the
// server's CPU time went, by function and by source file (self time), and which of our own
// functions it was spent under (the nearest caller in src/, libraries included).

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error('Usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N]');
const top = Number(rest[rest.indexOf('--top') + 1] ?? 25) || 25;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

// Each sample's time delta belongs to the node it sampled.
const selfMicros = new Map<number, number>();
profile.samples.forEach((nodeId, index) => selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);

const where = (node: ProfileNode) => {
  const url = node.callFrame.url.replace(/^file:\/\//, '');
  if (!url) return '(native)';
  const inModules = url.lastIndexOf('node_modules/');
  // The server runs compiled from dist/src/: its files are named as in src/.
  return inModules >= 0 ? url.slice(inModules + 'node_modules/'.length) : path.relative(process.cwd(), url).replace(/^dist\//, '');
};
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (!micros) continue;
  const name = `${node.callFrame.functionName || '(anonymous)'}  ${where(node)}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const source = where(node).split('/').slice(0, where(node).startsWith('src/') ? 3 : 1).join('/');
  byFile.set(source, (byFile.get(source) ?? 0) + micros);
}

// The hot path in our terms: each sample goes to the nearest function of ours above it.
const parentOf = new Map<number, ProfileNode>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
const byOwnCaller = new Map<string, number>();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (!micros || !node.callFrame.url) continue;
  let caller: ProfileNode | undefined = node;
  while (caller && !where(caller).startsWith('src/')) caller = parentOf.get(caller.id);
  const name = caller ? `${caller.callFrame.functionName || '(anonymous)'}  ${where(caller)}:${caller.callFrame.lineNumber + 1}` : '(outside our code)';
  byOwnCaller.set(name, (byOwnCaller.get(name) ?? 0) + micros);
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
};
console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s of samples`);
print('Self time by function', byFunction);
print('Self time by package or source file', byFile);
print('Time under our own functions (nearest caller in src/)', byOwnCaller);
