/**
 * Rule tests: example patients beside each rule (`rules/<service>/<rule>.test.yaml`) that must
 * fire or must not. Each case becomes a real hook call through the pure pipeline
 * (src/pipeline/run.ts): its resources are served by an in-memory FHIR server, the service's
 * prefetch queries run against it through the FHIR fallback, and the cards that come back, each
 * with the rule that made it, are compared with what the case expects. A case that fails carries
 * the explanation of every rule, so the runner can show why a rule did or did not fire.
 *
 * ```yaml
 * rule: warfarin-nsaid            # optional: defaults to the file name
 * cases:
 *   - name: ibuprofen ordered for a patient on warfarin
 *     patient: { birthDate: $today-70y, gender: female }
 *     resources:                  # the patient's record (subject/patient filled in)
 *       - resourceType: MedicationRequest
 *         status: active
 *         medicationCodeableConcept: { coding: [{ system: http://www.nlm.nih.gov/research/umls/rxnorm, code: "855332" }] }
 *     draftOrders:                # order-select / order-sign (status draft filled in)
 *       - resourceType: MedicationRequest
 *         medicationCodeableConcept: { coding: [{ system: http://www.nlm.nih.gov/research/umls/rxnorm, code: "197805" }] }
 *     expect:
 *       cards:
 *         - indicator: warning
 *           summary: "Bleeding risk: Ibuprofen 400 MG Oral Tablet with warfarin"
 *           suggestions: [Cancel the Ibuprofen 400 MG Oral Tablet order]
 *   - name: no warfarin, no card
 *     draftOrders: [...]
 *     expect: { cards: [] }
 * ```
 *
 * Dates relative to the day the test runs: `$today`, `$today-7mo`, `$today-40y+1d`, `$now-2h`
 * (units y, mo, w, d, h), so boundaries like "HbA1c 5 vs 7 months old" stay true.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { z } from 'zod';
import type { Card } from '../protocol/card.ts';
import { type ContextField, type HookName, hookDefinition } from '../protocol/hooks.ts';
import { DEFAULT_CONFIG } from '../config.ts';
import { type RuleFailure, type RuleReport, runHook } from '../pipeline/run.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { RuleExplanation } from '../rules/evaluate.ts';
import { classifyContentPath } from '../rules/content.ts';
import { ruleIdSchema } from '../rules/schema.ts';
import { type ContentProblem, parseContentFile, type SourceFile } from '../rules/source.ts';
import { MemoryFhirServer } from './memory-fhir.ts';
import { RELATIVE_DATE } from './relative-dates.ts';

const resourceSchema = z.looseObject({ resourceType: z.string().min(1) });

const expectedCardSchema = z.strictObject({
  /** The rule that must produce the card; defaults to the file's rule. */
  rule: ruleIdSchema.optional(),
  /** The exact summary. */
  summary: z.string().optional(),
  indicator: z.enum(['info', 'warning', 'critical']).optional(),
  /** Text that must appear in the detail. */
  detailContains: z.array(z.string()).optional(),
  /** The suggestion labels, in order. */
  suggestions: z.array(z.string()).optional(),
  /** The link labels, in order. */
  links: z.array(z.string()).optional(),
});

export const testCaseSchema = z.strictObject({
  name: z.string().min(1),
  /** Patient fields; the Patient's id is always `example`. */
  patient: z.record(z.string(), z.unknown()).optional(),
  /** A FHIR Bundle file (path relative to the test file) holding the patient's record, e.g. a Synthea export. */
  fixture: z.string().min(1).optional(),
  /** A whole hook request, sent as written (hook, context, prefetch); the other fields add to it. */
  request: z.record(z.string(), z.unknown()).optional(),
  /** The patient's record, served by the in-memory FHIR server. */
  resources: z.array(resourceSchema).optional(),
  /** Orders in `context.draftOrders`. */
  draftOrders: z.array(resourceSchema).optional(),
  /** order-select: `Type/id` of the selected orders; defaults to every draft order. */
  selections: z.array(z.string()).optional(),
  /** Extra or overriding context fields. */
  context: z.record(z.string(), z.unknown()).optional(),
  /** Prefetch the client sends itself (keys not given are fetched from the FHIR server). */
  prefetch: z.record(z.string(), z.unknown()).optional(),
  expect: z.strictObject({ cards: z.array(expectedCardSchema) }),
});

export const testFileSchema = z.strictObject({
  rule: ruleIdSchema.optional(),
  cases: z.array(testCaseSchema).min(1),
});

export type TestCase = z.infer<typeof testCaseSchema>;
export type ExpectedCard = z.infer<typeof expectedCardSchema>;

export interface RuleTestFile {
  path: string;
  /** The folder the file is in on disk, for its fixture paths. */
  dir: string;
  serviceId: string;
  ruleId: string;
  cases: TestCase[];
}

/** Reads every `*.test.yaml` among the content files; malformed ones come back as problems. */
export function loadRuleTests(files: readonly SourceFile[], root = '.'): { tests: RuleTestFile[]; problems: ContentProblem[] } {
  const tests: RuleTestFile[] = [];
  const problems: ContentProblem[] = [];
  for (const file of files) {
    const where = classifyContentPath(file.path.replace(/^.*?(?=rules\/)/, ''));
    if (where?.kind !== 'test') continue;
    const parsed = parseContentFile(file, testFileSchema, problems);
    if (!parsed?.data) continue;
    const stem = file.path.split('/').pop()!.replace(/\.test\.ya?ml$/, '');
    tests.push({ path: file.path, dir: join(root, dirname(file.path)), serviceId: where.id, ruleId: parsed.data.rule ?? stem, cases: parsed.data.cases });
  }
  return { tests, problems };
}

export interface CaseResult {
  passed: boolean;
  /** What did not match, one line each. */
  failures: string[];
  /** Every card the call returned, with the rule that made it. */
  cards: { rule: string; card: Card }[];
  ruleErrors: RuleFailure[];
  /** 200, or the status the call was refused with. */
  status: number;
  /** Each enabled rule of the service: fired, quiet, failed or skipped, and the time its expressions took. */
  rules: RuleReport[];
  /** The rules that did not do what the case expected (wrong cards, failed, skipped). */
  unexpected: string[];
  /** Every enabled rule's explanation: its conditions, the defines it read, their values. */
  explanation: RuleExplanation[];
}

const FHIR_BASE = 'http://fhir.test/r4';
export const EXAMPLE_PATIENT_ID = 'example';

/** Runs one case as a hook call against `ruleSet`, with `now` as the day relative dates count from. */
export async function runCase(ruleSet: RuleSet, test: RuleTestFile, testCase: TestCase, now = new Date()): Promise<CaseResult> {
  const service = ruleSet.services.get(test.serviceId);
  if (!service) return failed(`service '${test.serviceId}' is not loaded`);
  if (!service.rules.some((r) => r.id === test.ruleId)) return failed(`rule '${test.ruleId}' is not in service '${test.serviceId}'`);

  let call: Awaited<ReturnType<typeof caseCall>>;
  try {
    call = await caseCall(service, test, testCase, now);
  } catch (e) {
    if (e instanceof FixtureError) return failed(e.message);
    throw e;
  }
  const { body, fetch: fhirFetch, expect } = call;
  const result = await runHook(
    {
      fetch: fhirFetch,
      now: () => now,
      newUuid: () => crypto.randomUUID(),
      // Rule tests check clinical logic, not speed: a cold first call must not skip rules.
      limits: { ...DEFAULT_CONFIG, evaluationBudgetMs: 60_000 },
    },
    service,
    body,
    { explain: true },
  );
  const cards = result.cards.map(({ ruleId, card }) => ({ rule: ruleId, card }));

  const failures: string[] = [];
  const unexpected = new Set<string>();
  if (result.rejected) failures.push(`the call was answered ${result.rejected.status}: ${JSON.stringify(result.rejected.problems)}`);
  for (const e of result.failed) {
    failures.push(`rule ${e.rule} failed: ${e.message}`);
    unexpected.add(e.rule);
  }
  if (result.skipped.length > 0) {
    failures.push(`rules skipped: ${result.skipped.map((s) => `${s.rule} (${s.reason === 'budget' ? 'evaluation budget' : `${s.reason}${s.prefetch ? `: ${s.prefetch.join(', ')}` : ''}`})`).join(', ')}`);
  }
  for (const s of result.skipped) unexpected.add(s.rule);
  for (const [rule, differences] of cardDifferences(test.ruleId, expect.cards, cards)) {
    failures.push(...differences);
    unexpected.add(rule);
  }
  return {
    passed: failures.length === 0,
    failures,
    cards,
    ruleErrors: result.failed,
    status: result.rejected?.status ?? 200,
    rules: result.rules,
    unexpected: [...unexpected],
    explanation: result.explanation ?? [],
  };
}

/**
 * The hook call a case makes: its request (dates resolved against `now`, drafts and context
 * filled in) and the fetch of the in-memory FHIR server that holds the patient's record. The
 * console's playground runs shipped cases through the same call.
 */
export async function caseCall(service: CompiledService, test: RuleTestFile, testCase: TestCase, now: Date): Promise<{ body: Record<string, unknown>; fetch: typeof fetch; expect: TestCase['expect'] }> {
  const c = resolveDates(testCase, now) as TestCase;
  const fhir = new MemoryFhirServer();
  let patientId = EXAMPLE_PATIENT_ID;
  if (c.fixture) {
    const bundle = await readFixture(test, c);
    await fhir.addBundle(bundle);
    patientId = bundle.entry?.map((e) => e.resource).find((r) => r?.resourceType === 'Patient')?.id ?? EXAMPLE_PATIENT_ID;
  }
  if (!c.fixture || c.patient) await fhir.add([{ ...c.patient, resourceType: 'Patient', id: patientId } as Resource]);
  await fhir.add((c.resources ?? []).map((r, i) => forPatient(r as Resource, i, 'record', patientId)));
  const drafts = (c.draftOrders ?? []).map((r, i) => asDraft(forPatient(r as Resource, i, 'draft', patientId)));

  const hookFields = service.hook === 'order-select' || service.hook === 'order-sign';
  const sent = (c.request ?? {}) as { context?: Record<string, unknown>; prefetch?: Record<string, unknown> } & Record<string, unknown>;
  const context: Record<string, unknown> = {
    ...exampleContext(service.hook),
    userId: 'Practitioner/example',
    patientId,
    ...(hookFields ? { draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) } satisfies Bundle } : {}),
    ...(service.hook === 'order-select' ? { selections: c.selections ?? drafts.map((d) => `${d.resourceType}/${d.id}`) } : {}),
    ...sent.context,
    ...c.context,
  };
  const prefetch = { ...sent.prefetch, ...c.prefetch };
  const body = {
    hook: service.hook,
    hookInstance: crypto.randomUUID(),
    fhirServer: FHIR_BASE,
    ...sent,
    context,
    ...(Object.keys(prefetch).length > 0 ? { prefetch } : {}),
  };

  return { body, fetch: fhir.fetchFor(FHIR_BASE), expect: c.expect };
}

/** A case's fixture that cannot be used: the message names the test file, the case and what was expected. */
export class FixtureError extends Error {}

/** Reads a case's `fixture`: a FHIR Bundle in JSON, relative to the test file. */
async function readFixture(test: RuleTestFile, c: TestCase): Promise<Bundle> {
  const where = `${test.path}: case '${c.name}': fixture '${c.fixture}'`;
  let text: string;
  try {
    text = await readFile(join(test.dir, c.fixture!), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FixtureError(`${where} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; expected a FHIR Bundle JSON file, its path relative to the test file`);
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (e) {
    throw new FixtureError(`${where} is not valid JSON; expected a FHIR Bundle`);
  }
  if ((bundle as { resourceType?: unknown } | null)?.resourceType !== 'Bundle') throw new FixtureError(`${where} is not a FHIR Bundle; expected resourceType 'Bundle'`);
  return bundle as Bundle;
}

/** Compares, rule by rule, the cards expected with those produced: what differs, by rule. */
function cardDifferences(defaultRule: string, expected: ExpectedCard[], actual: { rule: string; card: Card }[]): Map<string, string[]> {
  const byRule = new Map<string, string[]>();
  for (const rule of new Set([defaultRule, ...expected.map((e) => e.rule ?? defaultRule)])) {
    const failures = compareRule(rule, expected.filter((e) => (e.rule ?? defaultRule) === rule), actual.filter((a) => a.rule === rule).map((a) => a.card));
    if (failures.length > 0) byRule.set(rule, failures);
  }
  return byRule;
}

function compareRule(rule: string, want: ExpectedCard[], got: Card[]): string[] {
  const failures: string[] = [];
  if (want.length !== got.length) {
    const listed = got.map((g) => `"${g.summary}"`).join(', ') || 'none';
    failures.push(`rule ${rule}: expected ${want.length} card(s), got ${got.length} (${listed})`);
    return failures;
  }
  want.forEach((w, i) => {
    const g = got[i]!;
    const label = `rule ${rule} card ${i + 1}`;
    if (w.summary !== undefined && w.summary !== g.summary) failures.push(`${label}: summary\n    expected: ${w.summary}\n    actual:   ${g.summary}`);
    if (w.indicator !== undefined && w.indicator !== g.indicator) failures.push(`${label}: indicator expected ${w.indicator}, actual ${g.indicator}`);
    for (const text of w.detailContains ?? []) {
      if (!(g.detail ?? '').includes(text)) failures.push(`${label}: detail does not contain "${text}"\n    detail: ${g.detail ?? '(none)'}`);
    }
    const labels = (list: { label: string }[] | undefined) => (list ?? []).map((x) => x.label);
    if (w.suggestions && JSON.stringify(w.suggestions) !== JSON.stringify(labels(g.suggestions))) {
      failures.push(`${label}: suggestions\n    expected: ${JSON.stringify(w.suggestions)}\n    actual:   ${JSON.stringify(labels(g.suggestions))}`);
    }
    if (w.links && JSON.stringify(w.links) !== JSON.stringify(labels(g.links))) {
      failures.push(`${label}: links\n    expected: ${JSON.stringify(w.links)}\n    actual:   ${JSON.stringify(labels(g.links))}`);
    }
  });
  return failures;
}

const PATIENT_FIELD = new Set(['AllergyIntolerance', 'Immunization', 'Coverage', 'Account']);
const NO_SUBJECT = new Set(['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Medication', 'Bundle']);

/** Gives a resource an id and points it at the case's patient unless it says otherwise. */
function forPatient(resource: Resource, index: number, prefix: string, patientId: string): Resource {
  const out = { ...resource } as Record<string, unknown>;
  out.id ??= `${prefix}-${resource.resourceType.toLowerCase()}-${index + 1}`;
  const reference = { reference: `Patient/${patientId}` };
  if (PATIENT_FIELD.has(resource.resourceType)) out.patient ??= reference;
  else if (!NO_SUBJECT.has(resource.resourceType)) out.subject ??= reference;
  return out as unknown as Resource;
}

function asDraft(resource: Resource): Resource {
  const out = { ...resource } as Record<string, unknown>;
  out.status ??= 'draft';
  if (['MedicationRequest', 'ServiceRequest', 'NutritionOrder'].includes(resource.resourceType)) out.intent ??= 'order';
  return out as unknown as Resource;
}


/** Replaces `$today-7mo`-style strings with dates counted from `now`. */
export function resolveDates(value: unknown, now: Date): unknown {
  if (typeof value === 'string') {
    const m = RELATIVE_DATE.exec(value);
    if (!m) return value;
    const date = new Date(now.getTime());
    for (const [, sign, amount, unit] of m[2]!.matchAll(/([+-])(\d+)(y|mo|w|d|h)/g)) {
      const n = Number(amount) * (sign === '-' ? -1 : 1);
      if (unit === 'y') date.setUTCFullYear(date.getUTCFullYear() + n);
      else if (unit === 'mo') date.setUTCMonth(date.getUTCMonth() + n);
      else if (unit === 'w') date.setUTCDate(date.getUTCDate() + 7 * n);
      else if (unit === 'd') date.setUTCDate(date.getUTCDate() + n);
      else date.setUTCHours(date.getUTCHours() + n);
    }
    return m[1] === 'today' ? date.toISOString().slice(0, 10) : date.toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => resolveDates(v, now));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDates(v, now)]));
  }
  return value;
}

function failed(message: string): CaseResult {
  return { passed: false, failures: [message], cards: [], ruleErrors: [], status: 0, rules: [], unexpected: [], explanation: [] };
}

/**
 * A value for each required context field of the hook, from its kind in the catalog, so a case
 * needs to write only the fields its rule reads (`context: { appointments: ... }`): an
 * encounter-discharge case without `encounterId` is still a valid call.
 */
function exampleContext(hook: HookName): Record<string, unknown> {
  const example = (name: string, field: ContextField): unknown => {
    const type = field.resourceTypes?.[0];
    switch (field.kind) {
      case 'id':
        return `example-${name}`;
      case 'reference':
        return `${type ?? 'Practitioner'}/example`;
      case 'references':
      case 'selections':
        return [`${type ?? 'ServiceRequest'}/example`];
      case 'bundle':
        return { resourceType: 'Bundle', type: 'collection', entry: [] };
      case 'resource':
        return { resourceType: type ?? 'Basic', id: `example-${name}` };
      case 'resources':
        return [];
    }
  };
  const fields = Object.entries(hookDefinition(hook).context).filter(([, field]) => field.required);
  return Object.fromEntries(fields.map(([name, field]) => [name, example(name, field)]));
}

