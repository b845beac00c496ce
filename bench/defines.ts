/**
 * `npm run bench:defines [service]` (default preventive-care): where a service's evaluation goes,
 * in process, for each Synthea patient. Every compiled define of the service and its rules is
 * wrapped in a timer; a define's self time leaves out the defines it read. Each call gets a body
 * parsed afresh (a body parsed once and reused keeps its objects warm and hides index builds).
 * Prints the evaluation's p50 and the defines by p50 self time. `PLAIN=1` compiles without the
 * fast paths; `RUNS` (default 300) calls per patient.
 */
import { readContentFiles } from '../src/node/content-files.ts';
import { compileContent, type CompiledExpr, type RuleSet } from '../src/rules/compile.ts';
import { evaluateService } from '../src/rules/evaluate.ts';
import { percentile } from './http-load.ts';
import { preventiveCare, SYNTHEA_PATIENTS } from './workloads.ts';

const serviceId = process.argv[2] ?? 'preventive-care';
const runs = Number(process.env.RUNS ?? 300);
const ruleSet = compileContent(await readContentFiles('.'), { fastPaths: !process.env.PLAIN }).ruleSet as RuleSet;
const service = ruleSet.services.get(serviceId);
if (!service) throw new Error(`no service '${serviceId}'`);

/** Self time of each define in the call being run; a stack of the time its children took. */
const self = new Map<string, number>();
const children: number[] = [];
function timed(define: CompiledExpr, label: string): void {
  const run = define.run;
  define.run = (vars) => {
    const start = performance.now();
    children.push(0);
    try {
      return run(vars);
    } finally {
      const total = performance.now() - start;
      const inner = children.pop()!;
      self.set(label, (self.get(label) ?? 0) + total - inner);
      if (children.length > 0) children[children.length - 1]! += total;
    }
  };
}
for (const define of service.defines) timed(define, define.name);
for (const rule of service.rules) for (const define of rule.defines) timed(define, `${rule.id}: ${define.name}`);

const p50 = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
for (const patient of SYNTHEA_PATIENTS) {
  const workload = preventiveCare(patient, service.prefetch);
  const totals: number[] = [];
  const perDefine = new Map<string, number[]>();
  for (let i = 0; i < runs + 20; i++) {
    const { context, prefetch } = JSON.parse(workload.body) as { context: Record<string, unknown>; prefetch: Record<string, unknown> };
    self.clear();
    const start = performance.now();
    evaluateService(service, { context, prefetch, now: new Date() });
    if (i < 20) continue; // warm-up
    totals.push(performance.now() - start);
    for (const [label, ms] of self) perDefine.set(label, [...(perDefine.get(label) ?? []), ms]);
  }
  console.log(`${patient} (${workload.resources} resources): evaluate p50 ${p50(totals).toFixed(3)} ms`);
  const rows = [...perDefine].map(([label, list]) => [label, p50(list)] as const).sort((a, b) => b[1] - a[1]);
  for (const [label, ms] of rows.slice(0, 12)) console.log(`  ${ms.toFixed(3)} ms  ${label}`);
}
