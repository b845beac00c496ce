/**
 * Prometheus metrics, kept in memory and written in the text exposition format (0.0.4) on
 * `GET /metrics`. A small writer rather than prom-client: prom-client reads Node's process,
 * cluster and perf_hooks, which a Worker does not have; this works in both. In a Worker the
 * figures are per isolate (each isolate counts its own calls), as with any in-memory metric.
 */

type Labels = Record<string, string>;

/** Seconds; the call stages are milliseconds to a few seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Family {
  help: string;
  type: 'counter' | 'histogram';
  series: Map<string, { labels: Labels; value: number; buckets?: number[]; sum?: number }>;
}

export interface CallFigures {
  service: string;
  hook: string;
  status: number;
  outcome: string;
  /** Milliseconds per stage (request, prefetch, evaluate, render, total); absent stages did not run. */
  stagesMs: Record<string, number | undefined>;
  cards?: { rule: string; version: string; silent: boolean }[];
  failed?: { rule: string; error: string }[];
  skipped?: { rule: string; reason: string }[];
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  constructor() {
    this.define('cds_hook_calls_total', 'counter', 'Hook calls by service, hook, HTTP status and outcome (ok, degraded, rejected).');
    this.define('cds_stage_duration_seconds', 'histogram', 'Time per stage of a hook call (request, prefetch, evaluate, render, total).');
    this.define('cds_cards_total', 'counter', 'Cards made, by service, rule, rule version and whether held back (silent).');
    this.define('cds_feedback_total', 'counter', 'Feedback items by service and outcome.');
    this.define('cds_rule_errors_total', 'counter', 'Rules that failed, by service, rule and error class.');
    this.define('cds_rule_skips_total', 'counter', 'Rules not evaluated, by service, rule and reason.');
    this.define('cds_degraded_calls_total', 'counter', 'Answered calls with a rule failed or skipped, by service.');
    this.define('cds_refused_requests_total', 'counter', 'Requests refused before they became a hook call (401, 404, 405, 413, ...), by status.');
  }

  call(figures: CallFigures): void {
    const { service, hook } = figures;
    this.inc('cds_hook_calls_total', { service, hook, status: String(figures.status), outcome: figures.outcome });
    for (const [stage, ms] of Object.entries(figures.stagesMs)) if (ms !== undefined) this.observe('cds_stage_duration_seconds', { stage: stage.replace(/Ms$/, '') }, ms / 1000);
    for (const c of figures.cards ?? []) this.inc('cds_cards_total', { service, rule: c.rule, version: c.version, silent: String(c.silent) });
    for (const f of figures.failed ?? []) this.inc('cds_rule_errors_total', { service, rule: f.rule, error: f.error });
    for (const s of figures.skipped ?? []) this.inc('cds_rule_skips_total', { service, rule: s.rule, reason: s.reason });
    if (figures.outcome === 'degraded') this.inc('cds_degraded_calls_total', { service });
  }

  feedback(service: string, outcome: string, count = 1): void {
    this.inc('cds_feedback_total', { service, outcome }, count);
  }

  refused(status: number): void {
    this.inc('cds_refused_requests_total', { status: String(status) });
  }

  /** The text exposition format. */
  render(): string {
    const out: string[] = [];
    for (const [name, family] of this.families) {
      out.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      for (const s of family.series.values()) {
        if (family.type === 'counter') {
          out.push(`${name}${labelText(s.labels)} ${s.value}`);
          continue;
        }
        BUCKETS.forEach((le, i) => out.push(`${name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.buckets![i]}`));
        out.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.value}`);
        out.push(`${name}_sum${labelText(s.labels)} ${s.sum}`, `${name}_count${labelText(s.labels)} ${s.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  private define(name: string, type: Family['type'], help: string): void {
    this.families.set(name, { help, type, series: new Map() });
  }

  private series(name: string, labels: Labels) {
    const family = this.families.get(name)!;
    const key = labelText(labels);
    let s = family.series.get(key);
    if (!s) {
      s = family.type === 'histogram' ? { labels, value: 0, buckets: BUCKETS.map(() => 0), sum: 0 } : { labels, value: 0 };
      family.series.set(key, s);
    }
    return s;
  }

  private inc(name: string, labels: Labels, by = 1): void {
    this.series(name, labels).value += by;
  }

  private observe(name: string, labels: Labels, value: number): void {
    const s = this.series(name, labels);
    s.value++;
    s.sum! += value;
    BUCKETS.forEach((le, i) => {
      if (value <= le) s.buckets![i]!++;
    });
  }
}

/** `{a="x",b="y"}` with the format's escapes (backslash, double quote, newline). */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
