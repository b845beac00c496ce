/**
 * `npm run measure:worker`: the Worker's bundle size and start-up time.
 *
 * - Size: dist/index.js from `npm run build:worker` (wrangler deploy --dry-run), raw and gzipped
 *   (Cloudflare's limits are on the gzipped upload: 3 MiB Free, 10 MiB Paid).
 * - Start-up: `wrangler check startup` profiles the global scope (module evaluation and the
 *   content compile in src/worker/index.ts) in local workerd; the platform refuses a Worker whose
 *   start-up exceeds 1 s of CPU. Runs it a few times and reports each, busy time without idle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const RUNS = Number(process.env.RUNS ?? 3);
const LIMIT_MS = 1000;

const bundle = readFileSync('dist/index.js');
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`bundle dist/index.js: ${kib(bundle.length)}, gzip ${kib(gzipSync(bundle, { level: 9 }).length)}`);

interface Profile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'cds-startup-'));
const times: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const outfile = join(dir, `startup-${run}.cpuprofile`);
  const result = spawnSync('node_modules/.bin/wrangler', ['check', 'startup', '--outfile', outfile], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    process.exit(1);
  }
  const profile = JSON.parse(readFileSync(outfile, 'utf8')) as Profile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const busyUs = profile.samples.reduce((sum, node, i) => sum + (idle.has(node) ? 0 : (profile.timeDeltas[i] ?? 0)), 0);
  times.push(busyUs / 1000);
}
rmSync(dir, { recursive: true, force: true });
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(`start-up (global scope, CPU profile, ${RUNS} runs): ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')}; median ${median.toFixed(0)} ms of the ${LIMIT_MS} ms limit`);
if (median > LIMIT_MS / 2) {
  console.error(`start-up is over half the platform limit`);
  process.exit(1);
}
