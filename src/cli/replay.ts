/**
 * `cds-rules replay --since 7d [--service id] [--content DIR] [--db PATH] [--json]`: recorded
 * calls run again against the content folder (default: the current one), per rule: calls, fired
 * before and after, cards added, removed and changed with a diff, and the calls concerned.
 */
import { checkContent } from '../authoring/check.ts';
import { DEFAULT_CONFIG } from '../config.ts';
import { parsePeriod, PeriodError } from '../governance/period.ts';
import { type ReplayReport, replay } from '../governance/replay.ts';
import { formatProblem } from '../rules/source.ts';
import { UsageError } from './args.ts';
import { openServiceDatabase } from './database.ts';
import { bold, dim, green, println, printTable, red } from './output.ts';

export interface ReplayCliOptions {
  since?: string;
  service?: string;
  content?: string;
  db?: string;
  json?: boolean;
  /** Diffs printed per rule (the rest are listed by hookInstance). */
  diffs?: number;
}

export async function replayCommand(options: ReplayCliOptions, now = Date.now()): Promise<number> {
  let period: number;
  try {
    period = parsePeriod(options.since ?? '7d');
  } catch (error) {
    if (error instanceof PeriodError) throw new UsageError(`--${error.message}`);
    throw error;
  }
  const { ruleSet, problems } = await checkContent(options.content ?? '.');
  if (!ruleSet) {
    for (const p of problems.filter((x) => x.severity === 'error')) println(red(formatProblem(p)));
    return 1;
  }
  if (options.service && !ruleSet.services.has(options.service)) throw new UsageError(`no service '${options.service}' in ${options.content ?? '.'}`);
  const database = await openServiceDatabase(options.db);
  try {
    const report = await replay(database.db, ruleSet, { since: now - period, serviceId: options.service, limits: DEFAULT_CONFIG });
    if (options.json) println(JSON.stringify(report, null, 2));
    else printReplay(report, options.diffs ?? 3);
    return 0;
  } finally {
    await database.close();
  }
}

export function printReplay(report: ReplayReport, diffsPerRule: number): void {
  const refused = Object.entries(report.refused).map(([status, n]) => `${n} refused ${status}`);
  println(bold(`replay of calls since ${report.since}: ${report.calls} replayed`) + dim(`, ${report.withoutPayload} without stored payload, ${report.serviceGone} of a service no longer there${refused.length ? `, ${refused.join(', ')}` : ''}`));
  if (report.withoutPayload > 0 && report.calls === 0) println(red('nothing to replay: calls are stored with their payloads only when CDS_STORE_PAYLOADS=true'));
  const header = ['rule', 'calls', 'fired before', 'fired after', 'added', 'removed', 'changed'];
  const rows = report.rules.map((r) => [`${r.serviceId}/${r.ruleId}`, r.calls, r.firedBefore, r.firedAfter, r.added, r.removed, r.changed].map(String));
  printTable(header, rows);
  for (const rule of report.rules.filter((r) => r.changes.length > 0)) {
    println();
    println(bold(`${rule.serviceId}/${rule.ruleId}: ${rule.added} added, ${rule.removed} removed, ${rule.changed} changed`));
    rule.changes.slice(0, diffsPerRule).forEach((change) => {
      println(`  ${change.kind} in hookInstance ${change.hookInstance} (${change.receivedAt})`);
      for (const l of change.diff.split('\n').filter(Boolean)) println(`    ${l.startsWith('+') ? green(l) : l.startsWith('-') ? red(l) : dim(l)}`);
    });
    const rest = rule.changes.slice(diffsPerRule);
    if (rest.length > 0) println(dim(`  and ${rest.length} more: ${rest.map((c) => `${c.kind} ${c.hookInstance}`).join(', ')}`));
  }
}
