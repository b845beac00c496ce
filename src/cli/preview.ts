/**
 * `cds-rules preview <file>`: the cards as a clinician would read them, and the time each rule
 * took. The file is a hook request (JSON), a patient record (a FHIR Bundle such as a Synthea
 * export, previewed at patient-view), or a rule test file (each case, or `--case <text>`).
 * `--why <rule>` adds that rule's explanation: its conditions, the defines it read, their values.
 * Each call goes through the pure pipeline (src/pipeline/run.ts), as the service's calls do.
 */
import { readFile } from 'node:fs/promises';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { parse as parseYaml } from 'yaml';
import { checkContent } from '../authoring/check.ts';
import { MemoryFhirServer } from '../authoring/memory-fhir.ts';
import { runCase } from '../authoring/rule-tests.ts';
import type { Card } from '../protocol/card.ts';
import { DEFAULT_CONFIG } from '../config.ts';
import { type RuleFailure, type RuleReport, runHook } from '../pipeline/run.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { RuleExplanation } from '../rules/evaluate.ts';
import { formatProblem } from '../rules/source.ts';
import { UsageError } from './args.ts';
import { bold, dim, println, red, yellow } from './output.ts';
import { printExplanation } from './why.ts';

const FHIR_BASE = 'http://preview.fhir.test/r4';

export interface PreviewOptions {
  service?: string;
  case?: string;
  /** A rule whose explanation to print. */
  why?: string;
}

export async function preview(root: string, file: string, options: PreviewOptions): Promise<number> {
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
      const service = ruleSet.services.get(test.serviceId)!;
      checkWhy([service], options.why);
      const result = await runCase(ruleSet, test, testCase);
      println(bold(`── ${test.serviceId}: ${testCase.name}`));
      show(service, { cards: result.cards.map((c) => c.card), rules: result.rules, failed: result.ruleErrors, explanation: result.explanation }, options.why);
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
  checkWhy(services, options.why);
  for (const service of services) {
    const call = { ...body, hook: service.hook, hookInstance: crypto.randomUUID() };
    const result = await runHook(
      {
        fetch: body.fhirServer === FHIR_BASE ? fhir.fetchFor(FHIR_BASE) : fetch,
        now: () => new Date(),
        newUuid: () => crypto.randomUUID(),
        // A preview shows every rule's result and time; no budget cuts it short.
        limits: { ...DEFAULT_CONFIG, evaluationBudgetMs: 60_000 },
      },
      service,
      call,
      { explain: options.why !== undefined },
    );
    println(bold(`── ${service.id} (${service.hook})`));
    if (result.rejected) {
      println(red(`   answered ${result.rejected.status}: ${result.rejected.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ')}`));
      continue;
    }
    show(service, { cards: result.response!.cards, rules: result.rules, failed: result.failed, explanation: result.explanation ?? [] }, options.why);
  }
  return 0;
}

/** `--why` names a rule of a service previewed, or the author mistyped it. */
function checkWhy(services: CompiledService[], why: string | undefined): void {
  if (why === undefined || services.some((s) => s.rules.some((r) => r.id === why))) return;
  const ids = services.flatMap((s) => s.rules.map((r) => r.id));
  const where = services.length === 1 ? `service '${services[0]!.id}'` : `the ${services.length} services previewed`;
  throw new UsageError(`--why: no rule '${why}' in ${where} (${where.startsWith('service') ? 'it has' : 'they have'} ${ids.join(', ')})`);
}

interface Shown {
  cards: Card[];
  rules: RuleReport[];
  failed: RuleFailure[];
  explanation: RuleExplanation[];
}

const ICON = { critical: red('■ CRITICAL'), warning: yellow('▲ WARNING'), info: '● INFO' } as const;

function show(service: CompiledService, { cards, rules, failed, explanation }: Shown, why: string | undefined): void {
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
    const report = rules.find((x) => x.ruleId === rule.id);
    const error = failed.find((f) => f.rule === rule.id);
    const result = !rule.enabled ? 'disabled' : !report ? '-' : error ? red('error') : report.result;
    println(`   ${rule.id.padEnd(42)} ${result.padEnd(8)} ${report ? report.ms.toFixed(2).padStart(7) : ''}${error ? red(`  ${error.message}`) : ''}`);
  }
  println();
  const asked = why === undefined ? undefined : explanation.find((e) => e.rule === why);
  if (why !== undefined && service.rules.some((r) => r.id === why)) {
    if (asked) printExplanation(asked);
    else println(dim(`   why ${why}: disabled, not evaluated`));
    println();
  }
}

export type { RuleSet };
