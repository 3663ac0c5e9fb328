// Summarises V8 CPU profiles (node --cpu-prof; bench/e2e.ts --cpu-prof <dir>): the functions with the most self
// time, and self time by source (the package or the repository folder it comes from).
//
//   npx tsx bench/profile-top.ts <file.cpuprofile | dir> [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const files = positionals.flatMap((target) =>
  statSync(target).isDirectory() ? readdirSync(target).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(target, name)) : [target],
);

/** Where a frame's code comes from: a package, a folder of this repository, or V8/Node itself. */
function sourceOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/(client|operator|cli|bench|test)\/([^/]+)/.exec(url);
  return repo ? `${repo[1]}/${repo[2]!.replace(/\.ts$/, '')}` : url;
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalMs / Math.max(1, profile.samples.length);
  const byFunction = new Map<string, number>();
  const bySource = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url === '' ? '' : `${url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${lineNumber + 1}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const source = sourceOf(url, functionName);
    bySource.set(source, (bySource.get(source) ?? 0) + ms);
  }
  const busy = [...bySource.entries()].filter(([source]) => source !== '(idle)').reduce((sum, [, ms]) => sum + ms, 0);
  const pct = (ms: number): string => `${((100 * ms) / busy).toFixed(1)}%`;
  console.log(`\n${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s on the CPU (not idle); shares of the busy time`);
  console.log('\nby source:');
  for (const [source, ms] of [...bySource.entries()].filter(([s]) => s !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(ms).padStart(6)}  ${source}`);
  console.log(`\ntop ${values.top} functions by self time:`);
  for (const [key, ms] of [...byFunction.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`  ${pct(ms).padStart(6)}  ${key}`);
}
