/**
 * The PostgreSQL row of the bench (`BENCH_ONLY=postgres`): the same drug-interactions call as
 * the first table, 8 in flight, against one instance on PostgreSQL, then two instances on the
 * same database with the load split between them (4 in flight each, as a load balancer would),
 * beside the SQLite service and the bare baseline of the same run. The server is a real
 * PostgreSQL started for the run (test/support/postgres-server.ts), on this machine: the
 * instances and the database share its cores.
 */
import { type PostgresServer, startPostgres } from '../test/support/postgres-server.ts';
import { type LoadResult, loadTest, type Server } from './http-load.ts';
import type { Workload } from './workloads.ts';

export interface PostgresBench {
  md: string[];
  results: Record<string, unknown>;
}

/** Sums what several instances served in the same seconds; latency of the slower one. */
function together(parts: LoadResult[]): LoadResult {
  const sum = (k: 'requests' | 'rps' | 'non2xx' | 'errors') => parts.reduce((n, p) => n + p[k], 0);
  const max = (k: 'p50' | 'p90' | 'p99' | 'max') => Math.max(...parts.map((p) => p[k]));
  return { connections: parts.reduce((n, p) => n + p.connections, 0), seconds: parts[0]!.seconds, requests: sum('requests'), rps: sum('rps'), p50: max('p50'), p90: max('p90'), p99: max('p99'), max: max('max'), non2xx: sum('non2xx'), errors: sum('errors') };
}

export async function benchPostgres(options: {
  start(env: Record<string, string>): Promise<Server>;
  check(server: Server, workload: Workload): Promise<number>;
  bare: Server;
  sqlite: Server;
  workload: Workload;
  seconds: number;
  /** Seconds of untimed load first (run.ts, BENCH_WARMUP). */
  warmupSeconds: number;
}): Promise<PostgresBench> {
  const { start, check, bare, sqlite, workload, seconds, warmupSeconds } = options;
  let server: PostgresServer | undefined;
  try {
    server = await startPostgres();
    const env = { CDS_DATABASE_URL: await server.createDatabase(), CDS_WATCH_CONTENT: 'false' };
    const [one, two] = await Promise.all([start(env), start(env)]);
    await check(one!, workload);
    await check(two!, workload);
    // Warm: every evaluation worker has compiled the content and the pools hold their connections.
    await Promise.all([bare, sqlite, one!, two!].map((s) => loadTest(s.port, workload.path, workload.body, 4, Math.max(1, 2 * warmupSeconds))));
    const base = await loadTest(bare.port, workload.path, workload.body, 8, seconds);
    const onSqlite = await loadTest(sqlite.port, workload.path, workload.body, 8, seconds);
    const single = await loadTest(one!.port, workload.path, workload.body, 8, seconds);
    const pair = together(await Promise.all([one!, two!].map((s) => loadTest(s.port, workload.path, workload.body, 4, seconds))));
    await Promise.all([one!.stop(), two!.stop()]);
    const row = (name: string, r: LoadResult) =>
      `| ${name} | ${r.p50} ms | ${r.p99} ms | ${r.rps.toFixed(0)} | **${((100 * r.rps) / base.rps).toFixed(0)}%** | ${r.non2xx + r.errors} |`;
    return {
      results: { bare: base, sqlite: onSqlite, postgresOne: single, postgresTwo: pair, twoVsOne: pair.rps / single.rps },
      md: [
        `### PostgreSQL: ${workload.name}, 8 in flight, one instance vs two on one database`,
        '',
        '| store | p50 | p99 | req/s | throughput vs bare | failed |',
        '|---|---|---|---|---|---|',
        row('bare baseline', base),
        row('SQLite, 1 instance', onSqlite),
        row('PostgreSQL, 1 instance', single),
        row('PostgreSQL, 2 instances (4 + 4 in flight)', pair),
        '',
        `Two instances vs one on PostgreSQL: **${(pair.rps / single.rps).toFixed(2)}x** the throughput (every instance, its evaluation workers and the database share this machine's cores).`,
        '',
      ],
    };
  } finally {
    await server?.close();
  }
}
