/**
 * `cds-rules stats [--since 30d] [--service id] [--recent 7d] [--db PATH] [--json]`: quality
 * figures per rule (src/governance/stats.ts) and the firing-rate alarms.
 */
import { parsePeriod, PeriodError } from '../governance/period.ts';
import { DEFAULT_ALARM, ruleStats, type StatsReport } from '../governance/stats.ts';
import { UsageError } from './args.ts';
import { openServiceDatabase } from './database.ts';
import { bold, dim, println, printTable, red } from './output.ts';

export interface StatsCliOptions {
  since?: string;
  recent?: string;
  service?: string;
  db?: string;
  json?: boolean;
}

export async function statsCommand(options: StatsCliOptions, now = Date.now()): Promise<number> {
  let since: number;
  let recentMs: number;
  try {
    since = parsePeriod(options.since ?? '30d');
    recentMs = options.recent ? parsePeriod(options.recent, 'recent') : DEFAULT_ALARM.recentMs;
  } catch (error) {
    if (error instanceof PeriodError) throw new UsageError(`--${error.message}`);
    throw error;
  }
  const database = openServiceDatabase(options.db);
  try {
    const report = await ruleStats(database.db, { since: now - since, until: now, serviceId: options.service, alarm: { recentMs, baselineMs: 4 * recentMs } });
    if (options.json) println(JSON.stringify(report, null, 2));
    else printStats(report);
    return 0;
  } finally {
    database.close();
  }
}

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const num = (n: number | null) => (n === null ? '-' : String(n));

export function printStats(report: StatsReport): void {
  println(bold(`rule figures from ${report.since} to ${report.until}`));
  const header = ['rule', 'calls', 'fired', '/1000', 'silent', 'accepted', 'overridden', 'accept%', 'override%', 'median s', 'errors', 'skips'];
  const rows = report.rules.map((r) => [
    `${r.serviceId}/${r.ruleId}`,
    String(r.calls),
    String(r.fired),
    num(r.firedPer1000),
    String(r.silentWouldFire),
    String(r.accepted),
    String(r.overridden),
    pct(r.acceptanceRate),
    pct(r.overrideRate),
    num(r.medianSecondsToFeedback),
    String(r.errors),
    String(r.skips),
  ]);
  printTable(header, rows);
  for (const r of report.rules.filter((x) => x.overrideReasons.length > 0 || x.suggestions.length > 0)) {
    println();
    println(bold(`${r.serviceId}/${r.ruleId}`) + dim(` versions ${r.versions.join(', ') || '-'}`));
    for (const reason of r.overrideReasons) println(`  override ${reason.code ?? '(no code)'}${reason.display && reason.display !== reason.code ? ` "${reason.display}"` : ''}: ${reason.count}`);
    for (const c of r.nonAdherenceReasons) println(`  HL7 non-adherence ${c.code} "${c.display}": ${c.count}`);
    for (const s of r.suggestions) println(`  suggestion "${s.label}": accepted ${s.accepted} of ${s.shown} shown (${pct(s.acceptanceRate)})`);
  }
  println();
  println(bold(`firing-rate alarms (recent from ${report.alarm.recentFrom}, baseline from ${report.alarm.baselineFrom})`));
  println(dim(`  test: ${report.alarm.test}`));
  if (report.alarms.length === 0) println('  none');
  for (const a of report.alarms) {
    println(red(`  ${a.kind.toUpperCase()} ${a.serviceId}/${a.ruleId}: ${a.recentFirings} firings in ${a.recentCalls} calls, expected ${a.expectedFirings} (baseline ${a.baselinePer1000}/1000 over ${a.baselineCalls} calls), z = ${a.z}`));
  }
}
