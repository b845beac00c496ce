/**
 * `cds-rules preview <file>`: the cards as a clinician would read them, and the time each rule
 * took. The file is a hook request (JSON), a patient record (a FHIR Bundle such as a Synthea
 * export, previewed at patient-view), or a rule test file (each case, or `--case <text>`).
 */
import { readFile } from 'node:fs/promises';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { parse as parseYaml } from 'yaml';
import { checkContent } from '../authoring/check.ts';
import { MemoryFhirServer } from '../authoring/memory-fhir.ts';
import { recordingStore, runCase } from '../authoring/rule-tests.ts';
import type { Card } from '../protocol/card.ts';
import { callService } from '../http/invoke.ts';
import { DEFAULT_CONFIG } from '../config.ts';
import { silentLogger } from '../log/logger.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { RuleOutcome } from '../rules/evaluate.ts';
import { formatProblem } from '../rules/source.ts';
import { UsageError } from './args.ts';
import { bold, dim, println, red, yellow } from './output.ts';

const FHIR_BASE = 'http://preview.fhir.test/r4';

export async function preview(root: string, file: string, options: { service?: string; case?: string }): Promise<number> {
  const { ruleSet, problems, tests } = await checkContent(root);
  if (!ruleSet) {
    for (const p of problems.filter((x) => x.severity === 'error')) println(red(formatProblem(p)));
    return 1;
  }
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });

  if (/\.test\.ya?ml$/.test(file)) {
    const test = tests.find((t) => file.endsWith(t.path) || t.path.endsWith(file.replace(/^\.\//, '')));
    if (!test) throw new UsageError(`${file} is not a rule test file under rules/ of ${root}`);
    for (const testCase of test.cases.filter((c) => !options.case || c.name.includes(options.case))) {
      const result = await runCase(ruleSet, test, testCase);
      println(bold(`── ${test.serviceId}: ${testCase.name}`));
      show(ruleSet.services.get(test.serviceId)!, result.cards.map((c) => c.card), result.rules);
    }
    return 0;
  }

  let body: Record<string, unknown>;
  try {
    body = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${file} is neither JSON nor YAML`);
  }
  const fhir = new MemoryFhirServer();
  if (body.resourceType === 'Bundle') {
    const bundle = body as unknown as Bundle;
    await fhir.addBundle(bundle);
    const patient = bundle.entry?.map((e) => e.resource).find((r): r is Resource => r?.resourceType === 'Patient');
    if (!patient?.id) throw new UsageError(`${file} has no Patient to preview`);
    body = { hook: 'patient-view', hookInstance: crypto.randomUUID(), fhirServer: FHIR_BASE, context: { userId: 'Practitioner/preview', patientId: patient.id } };
  } else if (typeof body.hook !== 'string') {
    throw new UsageError(`${file} is not a hook request (no "hook") nor a FHIR Bundle`);
  }

  const services = [...ruleSet.services.values()].filter((s) => (options.service ? s.id === options.service : s.hook === body.hook));
  if (services.length === 0) throw new UsageError(options.service ? `no service '${options.service}'` : `no service answers '${String(body.hook)}'`);
  const notRun: string[] = [];
  for (const service of services) {
    const call = { ...body, hook: service.hook, hookInstance: crypto.randomUUID() };
    let outcomes: RuleOutcome[] = [];
    const result = await callService(
      {
        store: recordingStore().store,
        // A preview shows every rule's result and time; no budget cuts it short.
        config: { ...DEFAULT_CONFIG, evaluationBudgetMs: 60_000 },
        fetch: body.fhirServer === FHIR_BASE ? fhir.fetchFor(FHIR_BASE) : fetch,
        log: silentLogger,
        now: () => new Date(),
        newUuid: () => crypto.randomUUID(),
        inspect: (details) => (outcomes = details.outcomes),
      },
      service,
      async () => call,
    );
    // Without --service every service of the hook is tried; one the request has no data for
    // is listed at the end with the reason, not shown as a raw error.
    const lacking = options.service ? undefined : whyNotRun(service, result);
    if (lacking) {
      notRun.push(`not run: ${service.id}: ${lacking}`);
      continue;
    }
    println(bold(`── ${service.id} (${service.hook})`));
    if (result.status !== 200) {
      println(red(`   answered ${result.status}: ${JSON.stringify(result.body)}`));
      continue;
    }
    show(service, (result.body as { cards: Card[] }).cards, outcomes);
  }
  for (const line of notRun) println(dim(line));
  return 0;
}

/**
 * Why a service could not run on this request, or undefined when it ran: 412 (prefetch it
 * lacks), or every enabled rule skipped for want of prefetch (the degraded answer's
 * `org.cds-rules.degraded` extension, once a missing key degrades instead of failing the call).
 */
function whyNotRun(service: CompiledService, result: { status: number; body: unknown }): string | undefined {
  if (result.status === 200) {
    const degraded = (result.body as { extension?: Record<string, { skipped?: { rule: string; reason: string; prefetch?: string[] }[] }> }).extension?.['org.cds-rules.degraded'];
    const skipped = (degraded?.skipped ?? []).filter((s) => s.reason === 'prefetch-unavailable');
    const enabled = service.rules.filter((r) => r.enabled);
    if (enabled.length === 0 || !enabled.every((r) => skipped.some((s) => s.rule === r.id))) return undefined;
    return `the request lacks prefetch ${[...new Set(skipped.flatMap((s) => s.prefetch ?? []))].join(', ')} (every rule needs it)`;
  }
  if (result.status !== 412) return undefined;
  const issues = (result.body as OperationOutcome).issue ?? [];
  const keys = issues.flatMap((i) => i.expression ?? []).map((e) => e.replace(/^prefetch\./, ''));
  const reasons = [...new Set(issues.map((i) => i.diagnostics?.replace(/^prefetch\.\S+: /, '') ?? ''))];
  const fromServer = reasons.every((r) => r.includes('names no fhirServer'));
  return `the request lacks prefetch ${keys.join(', ')} (${fromServer ? 'no fhirServer to fetch it from' : reasons.join('; ')})`;
}

const ICON = { critical: red('■ CRITICAL'), warning: yellow('▲ WARNING'), info: '● INFO' } as const;

function show(service: CompiledService, cards: Card[], outcomes: RuleOutcome[]): void {
  if (cards.length === 0) println(dim('   no cards'));
  for (const card of cards) {
    println();
    println(`   ${ICON[card.indicator]}  ${bold(card.summary)}`);
    if (card.detail) for (const line of card.detail.trimEnd().split('\n')) println(`     ${line}`);
    println(dim(`     Source: ${card.source.label}${card.source.url ? ` <${card.source.url}>` : ''}`));
    for (const s of card.suggestions ?? []) {
      const actions = (s.actions ?? []).map((a) => `${a.type} ${a.resourceId ?? a.resource?.resourceType ?? ''}`.trim()).join(', ');
      println(`     ${s.isRecommended ? '★' : '○'} ${s.label}${actions ? dim(`  [${actions}]`) : ''}`);
    }
    for (const link of card.links ?? []) println(`     ↗ ${link.label}${dim(` (${link.type}) ${link.url}`)}`);
    if (card.overrideReasons) println(dim(`     Override reasons: ${card.overrideReasons.map((r) => r.display).join('; ')}`));
  }
  println();
  println(dim('   rule                                       result      ms'));
  for (const rule of service.rules) {
    const o = outcomes.find((x) => x.ruleId === rule.id);
    const result = !rule.enabled ? 'disabled' : !o ? '-' : o.error ? red('error') : o.fired ? 'fired' : 'quiet';
    println(`   ${rule.id.padEnd(42)} ${result.padEnd(8)} ${o ? o.ms.toFixed(2).padStart(7) : ''}${o?.error ? red(`  ${o.error}`) : ''}`);
  }
  println();
}

export type { RuleSet };
