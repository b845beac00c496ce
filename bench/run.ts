/**
 * `npm run bench`: the service measured as a user meets it, over HTTP, against a bare Hono route
 * measured in the same run on the same machine (so the ratios compare, whatever the machine and
 * however loaded it is). docs/performance.md explains the method and reads the table.
 *
 * - The service is `src/node/main.ts` as `npm start` runs it: the shipped content, a fresh
 *   SQLite file with the default durability (synchronous=FULL), default settings and logging.
 * - The baseline (bench/bare.ts) parses the same body and answers `{"cards":[]}`.
 * - Workloads (bench/workloads.ts) are made inside the repository.
 * - BENCH_SECONDS (default 3) bounds each measurement; the whole run takes about 25 of them.
 * - BENCH_WARMUP (default 2) seconds of the same load go before each timed window, for the
 *   bare route and the service alike, and each service process first gets 4x that of the
 *   500-resource load: what is timed is the steady state a long-running service is in (its
 *   workers compiled, V8's optimised code and heap sizes settled), not its first seconds.
 *
 * Writes bench/results/<time>.json and bench/results/latest.md (the table), and prints the table.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger.ts';
import { loadContent } from '../src/node/content-files.ts';
import { openSqliteStore } from '../src/node/sqlite.ts';
import { type InvocationRow, invocations } from '../src/store/schema.ts';
import { discovery } from '../src/http/discovery.ts';
import { alternating, type LoadResult, loadTest, percentile, type SequentialResult, type Server, startServer, timedCall } from './http-load.ts';
import { benchPostgres } from './postgres.ts';
import { stageTimes, type StageTimes } from './stages.ts';
import { drugInteractions, generatedRuleSet, preventiveCare, SYNTHEA_PATIENTS, type Workload } from './workloads.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 2);
const only = process.env.BENCH_ONLY?.split(',');
const wants = (section: string) => !only || only.includes(section);
const tmp = mkdtempSync(join(tmpdir(), 'cds-bench-'));
const started: Server[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Should the bench fail half-way, its servers must not outlive it.
process.on('exit', () => {
  for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

const serviceEnv = (name: string, extra: Record<string, string> = {}) => ({ PORT: '0', HOST: '127.0.0.1', CDS_DB_PATH: join(tmp, `${name}.sqlite`), ...extra });
async function start(script: string, env: Record<string, string>): Promise<Server> {
  const server = await startServer(script, env);
  started.push(server);
  return server;
}

/**
 * `loadTest` after `warmupSeconds` of the same load, untimed. A service process answers as soon
 * as it listens, while its evaluation workers still compile the content and V8 is still
 * optimising and growing its young generation: the first seconds run at a fraction of the
 * steady state (measured: 48 req/s in the first 3 s, 180 from the 12th second on).
 */
async function measured(server: Server, workload: Workload, connections: number): Promise<LoadResult> {
  if (warmupSeconds > 0) await loadTest(server.port, workload.path, workload.body, connections, warmupSeconds);
  return loadTest(server.port, workload.path, workload.body, connections, seconds);
}

/**
 * A new service process brought to its steady state (see `measured`), then checked (its cards,
 * as `check` counts them): its first calls, cold, can run out of the evaluation budget (the
 * 1,000 generated rules do).
 */
async function settle(server: Server, path = drugInteractions(500).path): Promise<number> {
  const workload = drugInteractions(500, path);
  if (warmupSeconds > 0) await loadTest(server.port, workload.path, workload.body, 8, 4 * warmupSeconds);
  return check(server, workload);
}

/** One call to check the workload is answered as expected before timing it. */
async function check(server: Server, workload: Workload): Promise<number> {
  const { status, text } = await timedCall(server.port, workload.path, workload.body);
  if (status !== 200) throw new Error(`${workload.name}: answered ${status}: ${text.slice(0, 500)}`);
  const answer = JSON.parse(text) as { cards: unknown[]; extension?: unknown };
  // A degraded answer (rules skipped for a prefetch key the workload left out) times less work
  // than a real call does.
  if (answer.extension) throw new Error(`${workload.name}: answered degraded: ${JSON.stringify(answer.extension).slice(0, 500)}`);
  return answer.cards.length;
}

const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  cores: availableParallelism(),
  cpu: cpus()[0]?.model,
  node: process.version,
  seconds,
  warmupSeconds,
  loadAverageBefore: loadavg(),
};
const md: string[] = [];
const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

const { ruleSet } = await loadContent('.');
if (!ruleSet) throw new Error('the shipped content does not compile');
const bare = await start('bench/bare.ts', { PORT: '0' });
const service = await start('src/node/main.ts', serviceEnv('service'));
await settle(service);

// --- 1. cost in resources: drug-interactions order-sign with 50 / 500 / 5,000 active meds -------
if (wants('resources')) {
  const rows: Record<string, unknown>[] = [];
  md.push(
    '### drug-interactions order-sign, by active MedicationRequests',
    '',
    '| resources | body | in flight | bare p50 / req/s | service p50 / req/s | throughput vs bare | p50 vs bare | service p99 | cards |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const [count, connections] of [
    [50, 8],
    [500, 8],
    [500, 1],
    [5000, 8],
  ] as const) {
    const workload = drugInteractions(count);
    const cards = await check(service, workload);
    const base = await measured(bare, workload, connections);
    const ours = await measured(service, workload, connections);
    rows.push({ count, connections, bytes: workload.body.length, cards, bare: base, service: ours });
    md.push(
      `| ${count} | ${(workload.body.length / 1024).toFixed(0)} KB | ${connections} | ${base.p50} ms / ${f(base.rps, 0)} | ${ours.p50} ms / ${f(ours.rps, 0)} | **${f((100 * ours.rps) / base.rps, 0)}%** | ${f(ours.p50 / base.p50)}x | ${ours.p99} ms | ${cards} |`,
    );
    if (ours.non2xx || ours.errors) md.push(`| | | | | non-2xx ${ours.non2xx}, errors ${ours.errors} | | | | |`);
  }
  results.resources = rows;
  md.push('');
}

// --- 2. preventive-care patient-view on each Synthea patient: own time, one call at a time -----
if (wants('synthea')) {
  const template = discovery(ruleSet).document.services.find((s) => s.id === 'preventive-care')!.prefetch ?? {};
  const rows: Record<string, unknown>[] = [];
  md.push('### preventive-care patient-view, each Synthea patient (one call at a time, alternating between the bare route and the service)', '', '| patient | resources | bare p50 | service p50 | own time p50 | service p99 | cards |', '|---|---|---|---|---|---|---|');
  for (const patient of SYNTHEA_PATIENTS) {
    const workload = preventiveCare(patient, template);
    const cards = await check(service, workload);
    // Alternating calls: own time is a difference of two latencies, which a drift between two
    // separate windows would skew.
    const [base, ours] = (await alternating([bare.port, service.port], workload.path, workload.body, seconds, warmupSeconds)) as [SequentialResult, SequentialResult];
    rows.push({ patient, resources: workload.resources, cards, bare: base, service: ours, ownP50: ours.p50 - base.p50 });
    md.push(`| ${patient} | ${workload.resources} | ${f(base.p50, 2)} ms | ${f(ours.p50, 2)} ms | **${f(ours.p50 - base.p50, 2)} ms** | ${f(ours.p99, 2)} ms | ${cards} |`);
  }
  results.synthea = rows;
  md.push('');
}

// --- 3. cost in rules: generated rule sets of 10 / 100 / 1,000 rules --------------------------
if (wants('rules')) {
  const rows: Record<string, unknown>[] = [];
  const workload = drugInteractions(500, '/cds-services/generated');
  md.push(
    '### generated rule sets (drug-interactions shape), 500 active MedicationRequests, 8 in flight, evaluation budget 60 s (so no call is cut)',
    '',
    '| rules | load + compile | bare p50 / req/s | service p50 / req/s | throughput vs bare | service p50 per rule | cards |',
    '|---|---|---|---|---|---|---|',
  );
  const base = await measured(bare, workload, 8);
  for (const count of [10, 100, 1000]) {
    const dir = generatedRuleSet(join(tmp, `rules-${count}`), count);
    const compileTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const loaded = await loadContent(dir);
      compileTimes.push(performance.now() - t);
      if (!loaded.ruleSet) throw new Error(`generated rules do not compile: ${JSON.stringify(loaded.problems.slice(0, 3))}`);
    }
    const compileMs = percentile(compileTimes.sort((a, b) => a - b), 50);
    // The evaluation budget (300 ms by default) would cut the 1,000-rule calls short, and the
    // row would time the budget rather than the rules: these services get the most it allows.
    const server = await start('src/node/main.ts', serviceEnv(`rules-${count}`, { CDS_CONTENT_DIR: dir, CDS_WATCH_CONTENT: 'false', CDS_EVAL_BUDGET_MS: '60000' }));
    const cards = await settle(server, workload.path);
    const ours = await measured(server, workload, 8);
    await server.stop();
    rows.push({ count, compileMs, cards, bare: base, service: ours });
    md.push(`| ${count} | ${f(compileMs, 0)} ms | ${base.p50} ms / ${f(base.rps, 0)} | ${ours.p50} ms / ${f(ours.rps, 0)} | ${f((100 * ours.rps) / base.rps, 0)}% | ${f((1000 * ours.p50) / count, 0)} µs | ${cards} |`);
    if (ours.non2xx || ours.errors) md.push(`| | | | non-2xx ${ours.non2xx}, errors ${ours.errors} | | | |`);
  }
  results.rules = rows;
  md.push('');
}

// --- 4a. recording, by the calls already in the file ------------------------------------------
// Each recorded call looks up the first call of its hookInstance (a retry's original): that
// lookup must not grow with the history the file holds.
if (wants('history')) {
  const rows: Record<string, unknown>[] = [];
  md.push('### recording one call, by the calls already in the SQLite file (in process, synchronous=FULL)', '', '| calls already recorded | record p50 | record p99 |', '|---|---|---|');
  for (const earlier of [0, 10_000, 100_000]) {
    const database = openSqliteStore(join(tmp, `history-${earlier}.sqlite`));
    const row = (hookInstance: string, receivedAt: number): InvocationRow => ({
      id: crypto.randomUUID(), receivedAt, serviceId: 'drug-interactions', hook: 'order-sign', client: null, hookInstance,
      patientId: 'bench', userId: null, encounterId: null, status: 200, outcome: 'ok', rulesEvaluated: ['opioid-benzodiazepine'],
      rulesSkipped: [], rulesFired: [], ruleErrors: [], cardCount: 0, prefetchFetched: [], prefetchMs: 0, evaluateMs: 1, totalMs: 2,
    });
    // The history in one transaction (a fresh hookInstance each, as EHRs send them).
    const t0 = Date.now() - earlier;
    database.sqlite.transaction(() => {
      for (let i = 0; i < earlier; i += 500) {
        database.db.insert(invocations).values(Array.from({ length: Math.min(500, earlier - i) }, (_, j) => row(crypto.randomUUID(), t0 + i + j))).run();
      }
    })();
    const times: number[] = [];
    for (let i = 0; i < 220; i++) {
      const start = performance.now();
      await database.store.recordInvocation(row(crypto.randomUUID(), Date.now()), []);
      if (i >= 20) times.push(performance.now() - start);
    }
    database.close();
    times.sort((a, b) => a - b);
    rows.push({ earlier, p50: percentile(times, 50), p99: percentile(times, 99) });
    md.push(`| ${earlier.toLocaleString('en-US')} | ${f(percentile(times, 50), 2)} ms | ${f(percentile(times, 99), 2)} ms |`);
  }
  results.history = rows;
  md.push('');
}

// --- 4. in-process time per stage --------------------------------------------------------------
if (wants('stages')) {
  const database = openSqliteStore(join(tmp, 'stages.sqlite'));
  const template = discovery(ruleSet).document.services.find((s) => s.id === 'preventive-care')!.prefetch ?? {};
  const rows: Record<string, unknown>[] = [];
  md.push('### in process, p50 per stage (ms)', '', '| workload | parse | validate | prefetch | evaluate | render | record |', '|---|---|---|---|---|---|---|');
  for (const [serviceId, workload, runs] of [
    ['drug-interactions', drugInteractions(50), 200],
    ['drug-interactions', drugInteractions(500), 100],
    ['drug-interactions', drugInteractions(5000), 20],
    ['preventive-care', preventiveCare('Debora709_Mayer370', template), 100],
  ] as const) {
    const times: StageTimes = await stageTimes(ruleSet, database.store, serviceId, workload.body, runs);
    rows.push({ workload: workload.name, ...times });
    md.push(`| ${workload.name} | ${f(times.parse, 2)} | ${f(times.validate, 2)} | ${f(times.prefetch, 2)} | ${f(times.evaluate, 2)} | ${f(times.render, 2)} | ${f(times.record, 2)} |`);
  }
  database.close();
  results.stages = rows;
  md.push('');
}

// --- 5. a pathological call must not stall the others ------------------------------------------
if (wants('isolation')) {
  // The input bounds would refuse this call (413/400); raised here so it is evaluated and the
  // hard deadline is what stops it.
  const server = await start(
    'src/node/main.ts',
    serviceEnv('isolation', { CDS_MAX_BODY_BYTES: String(256 * 1024 * 1024), CDS_MAX_BUNDLE_ENTRIES: '100000', CDS_MAX_SELECTIONS: '100000', CDS_MAX_RESOURCES: '200000' }),
  );
  const ordinary = drugInteractions(50);
  await settle(server);
  await check(server, ordinary);
  const health = async (stop: { now: boolean }) => {
    const times: number[] = [];
    while (!stop.now) {
      times.push((await timedCall(server.port, '/health')).ms);
      await sleep(20);
    }
    return times.sort((a, b) => a - b);
  };
  const measure = async (): Promise<{ ordinary: LoadResult; health: number[] }> => {
    const stop = { now: false };
    const healthTimes = health(stop);
    const load = await loadTest(server.port, ordinary.path, ordinary.body, 4, seconds);
    stop.now = true;
    return { ordinary: load, health: await healthTimes };
  };
  const before = await measure();
  // The pathological client is a process of its own (bench/pathological-client.ts says why).
  const pathological: { status: number; ms: number }[] = [];
  const client = spawn(process.execPath, ['--import', 'tsx', 'bench/pathological-client.ts'], { env: { ...process.env, PORT: String(server.port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => client.kill('SIGKILL'));
  // It makes the body itself and says how large it is once ready.
  const bytes = await new Promise<number>((resolve) => {
    createInterface({ input: client.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; bytes?: number; status?: number; ms?: number | null };
      if (message.ready) resolve(message.bytes ?? NaN);
      else pathological.push({ status: message.status ?? 0, ms: message.ms ?? NaN });
    });
  });
  await sleep(300);
  const during = await measure();
  client.kill('SIGKILL');
  // Without isolation the call can outlast the bench; the server is killed rather than waited for.
  server.child.kill('SIGKILL');
  results.isolation = { bytes, before, during, pathological };
  const row = (name: string, m: typeof before) =>
    `| ${name} | ${m.ordinary.p50} ms | ${m.ordinary.p99} ms | ${f(m.ordinary.rps, 0)} | ${m.ordinary.non2xx + m.ordinary.errors} | ${f(percentile(m.health, 50), 1)} ms | ${f(m.health.at(-1) ?? NaN, 1)} ms |`;
  md.push(
    `### isolation: ordinary drug-interactions calls (50 meds, 4 in flight) and /health while one allergy-check call with 50,000 selected drafts (${(bytes / 1024 / 1024).toFixed(1)} MB) runs again and again`,
    '',
    '| period | ordinary p50 | ordinary p99 | ordinary req/s | failed | /health p50 | /health max |',
    '|---|---|---|---|---|---|---|',
    row('before', before),
    row('during', during),
    '',
    `Pathological calls: ${pathological.length} answered, statuses ${[...new Set(pathological.map((p) => p.status))].join(', ')}, latency ${pathological.map((p) => `${f(p.ms, 0)} ms`).join(', ')}.`,
    '',
  );
}

// --- 6. PostgreSQL: one instance vs two on one database (bench/postgres.ts) ---------------------
if (wants('postgres')) {
  const { md: lines, results: figures } = await benchPostgres({ start: (env) => start('src/node/main.ts', serviceEnv('postgres', env)), check, bare, sqlite: service, workload: drugInteractions(50), seconds, warmupSeconds });
  results.postgres = figures;
  md.push(...lines);
}

results.loadAverageAfter = loadavg();
const header = [
  `Bench of ${results.startedAt}: ${results.cores} cores (${results.cpu}), Node ${results.node}, ${seconds} s per measurement after ${warmupSeconds} s of the same load (steady state).`,
  `Load average before ${(results.loadAverageBefore as number[]).map((n) => n.toFixed(2)).join(' / ')}, after ${(results.loadAverageAfter as number[]).map((n) => n.toFixed(2)).join(' / ')} (1 / 5 / 15 min; the machine is shared).`,
  '',
];
const table = [...header, ...md].join('\n');
mkdirSync('bench/results', { recursive: true });
const stamp = (results.startedAt as string).replace(/[:.]/g, '-');
writeFileSync(`bench/results/${stamp}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync('bench/results/latest.md', `${table}\n`);
console.log(table);

for (const server of started) if (server.child.exitCode === null) await server.stop();
rmSync(tmp, { recursive: true, force: true });
