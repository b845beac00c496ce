/**
 * The fast paths (src/rules/fast-paths.ts) must give exactly what fhirpath.js gives: every shipped
 * rule test case, every shipped service over every Synthea patient, and the bench's long
 * medication lists are evaluated with the content compiled with and without them, and the cards,
 * the rule outcomes and every card value must be identical.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { loadRuleTests, runCase } from '../../src/authoring/rule-tests.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent, type RuleSet } from '../../src/rules/compile.ts';
import { evaluateService } from '../../src/rules/evaluate.ts';
import { createFhirPathCompiler } from '../../src/rules/fhirpath.ts';
import { CLOCK } from '../../src/rules/functions.ts';
import { drugInteractions, SYNTHEA_PATIENTS } from '../../bench/workloads.ts';

const files = await readContentFiles('.');
const fast = compileContent(files).ruleSet as RuleSet;
const plain = compileContent(files, { fastPaths: false }).ruleSet as RuleSet;
const now = new Date();

/**
 * Without what differs by design from run to run: uuids, timings, and FHIRPath `now()` (a card
 * action stamped with the time it was made), read from the clock in each of the two runs.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const isNow = (v: unknown) => typeof v === 'string' && DATE_TIME.test(v) && Math.abs(Date.parse(v) - Date.now()) < 10 * 60_000;
const comparable = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (key, v) => (key === 'uuid' || key === 'ms' ? undefined : isNow(v) ? '(now)' : v)));

describe('fast paths give what fhirpath.js gives: shipped rule test cases', () => {
  const { tests } = loadRuleTests(files);
  for (const test of tests) {
    for (const testCase of test.cases) {
      it(`${test.path}: ${testCase.name}`, async () => {
        const [withFast, withoutFast] = [await runCase(fast, test, testCase, now), await runCase(plain, test, testCase, now)];
        expect(comparable(withFast.cards)).toEqual(comparable(withoutFast.cards));
        expect(comparable(withFast.rules)).toEqual(comparable(withoutFast.rules));
        expect(withFast.status).toBe(withoutFast.status);
      });
    }
  }
});

/** A call of `service` for a Synthea patient: every resource of each queried type prefetched, the patient's medications as draft orders. */
function syntheaInput(patientFile: string, hook: string, prefetchTemplate: Record<string, string>) {
  const record = JSON.parse(readFileSync(join('test/fixtures/synthea', `${patientFile}.bundle.json`), 'utf8')) as Bundle;
  const resources = (record.entry ?? []).map((e) => e.resource as Resource);
  const patient = resources.find((r) => r.resourceType === 'Patient')!;
  const drafts = resources.filter((r) => r.resourceType === 'MedicationRequest').map((r) => ({ ...r, status: 'draft' }));
  const draftOrders = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
  const context: Record<string, unknown> = {
    userId: 'Practitioner/example',
    patientId: patient.id,
    ...(hook === 'order-select' || hook === 'order-sign' ? { draftOrders } : {}),
    ...(hook === 'order-select' ? { selections: drafts.map((d) => `MedicationRequest/${d.id}`) } : {}),
  };
  const prefetch = Object.fromEntries(
    Object.entries(prefetchTemplate).map(([key, query]) => {
      if (query.startsWith('Patient/')) return [key, patient];
      const type = query.split(/[/?]/)[0]!;
      return [key, { resourceType: 'Bundle', type: 'searchset', entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })) }];
    }),
  );
  return { context, prefetch };
}

describe('fast paths give what fhirpath.js gives: every service over every Synthea patient', () => {
  for (const service of fast.services.values()) {
    for (const patient of SYNTHEA_PATIENTS) {
      it(`${service.id}, ${patient}`, async () => {
        const input = syntheaInput(patient, service.hook, service.prefetch);
        // With explanations: every define a rule read, and its value, must be the same too.
        const a = evaluateService(service, { ...input, now }, { explain: true });
        const b = evaluateService(plain.services.get(service.id)!, { ...input, now }, { explain: true });
        expect(comparable(a)).toEqual(comparable(b));
      });
    }
  }
});

describe('fast paths give what fhirpath.js gives: long medication lists', () => {
  for (const count of [50, 500]) {
    it(`drug-interactions with ${count} active MedicationRequests`, async () => {
      const { context, prefetch } = JSON.parse(drugInteractions(count).body) as { context: Record<string, unknown>; prefetch: Record<string, unknown> };
      const a = evaluateService(fast.services.get('drug-interactions')!, { context, prefetch, now });
      const b = evaluateService(plain.services.get('drug-interactions')!, { context, prefetch, now });
      expect(comparable(a)).toEqual(comparable(b));
      expect(a.filter((o) => o.fired).map((o) => o.ruleId)).toEqual(['opioid-benzodiazepine']);
    });
  }
});

/**
 * A long list where the `or` of code tests matters: NSAIDs, warfarin, DOACs, P2Y12 inhibitors and
 * gabapentinoids by value set, RxNorm products of naproxen, ibuprofen and warfarin that only
 * `hasIngredient` finds (not in the value set), codes in both, and a coding without a system.
 */
function mixedMedications(count: number) {
  const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
  const valueSetCodes = (id: string) => [...fast.valueSets.codes(id)!].map((key) => key.split('|')[1]!);
  const table = JSON.parse(readFileSync('rules/data/rxnorm-products.json', 'utf8')) as { products: string[] };
  const byIngredientOnly = table.products
    .map((row) => row.split('|'))
    .filter(([rxcui, , ingredients]) => ['7258', '5640', '11289'].some((i) => ingredients!.split(',').includes(i)) && !fast.valueSets.contains('nsaids', RXNORM, rxcui!) && !fast.valueSets.contains('warfarin', RXNORM, rxcui!))
    .map(([rxcui]) => rxcui!);
  expect(byIngredientOnly.length).toBeGreaterThan(0);
  const codes = [...['nsaids', 'warfarin', 'doacs', 'p2y12-inhibitors', 'gabapentinoids', 'statins'].flatMap(valueSetCodes), ...byIngredientOnly, '7258', '11289'];
  const medication = (i: number) =>
    i % 17 === 0 ? { coding: [{ code: codes[i % codes.length] }] } : { coding: [{ system: RXNORM, code: codes[i % codes.length] }, ...(i % 5 === 0 ? [{ system: RXNORM, code: codes[(i * 7) % codes.length] }] : [])] };
  return Array.from({ length: count }, (_, i) => ({ resourceType: 'MedicationRequest', id: `m${i}`, status: i % 11 === 0 ? 'stopped' : 'active', intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: medication(i) }));
}

describe('fast paths give what fhirpath.js gives: value-set and ingredient tests joined by or', () => {
  for (const count of [40, 400]) {
    it(`drug-interactions with ${count} active NSAIDs, anticoagulants and others, some found only by ingredient`, () => {
      const { context, prefetch } = JSON.parse(drugInteractions(count).body) as { context: Record<string, unknown>; prefetch: Record<string, { entry: unknown[] }> };
      prefetch.activeMeds!.entry = mixedMedications(count).map((resource) => ({ resource }));
      const draft = (code: string) => ({ resource: { resourceType: 'MedicationRequest', id: `d${code}`, status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code }] } } });
      // ibuprofen 400 MG Oral Tablet, warfarin sodium 5 MG Oral Tablet
      (context.draftOrders as { entry: unknown[] }).entry = [draft('197805'), draft('855332')];
      // With explanations: every define a rule read, and its value, must be the same too.
      const a = evaluateService(fast.services.get('drug-interactions')!, { context, prefetch, now }, { explain: true });
      const b = evaluateService(plain.services.get('drug-interactions')!, { context, prefetch, now }, { explain: true });
      expect(comparable(a)).toEqual(comparable(b));
      // Not a trivial comparison: the NSAIDs on the list make rules fire.
      expect(a.filter((o) => o.fired).map((o) => o.ruleId)).toContain('duplicate-nsaid');
    });
  }
});

describe('fast paths give what fhirpath.js gives: the selected orders of order-select', () => {
  const orderSelect = [...fast.services.values()].filter((s) => s.hook === 'order-select');
  const penicillin = [...fast.valueSets.codes('penicillins')!][0]!.split('|');
  const drafts = Array.from({ length: 60 }, (_, i) => ({
    resourceType: i % 4 === 3 ? 'ServiceRequest' : 'MedicationRequest',
    ...(i === 7 ? {} : { id: `d${i}` }),
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...(i % 4 === 3 ? { code: { text: 'a test' } } : { medicationCodeableConcept: { coding: [{ system: penicillin[0], code: penicillin[1] }] } }),
  }));
  // Every third draft selected, by its own type; one names a ServiceRequest as a MedicationRequest.
  const selections = [...drafts.filter((d, i) => i % 3 === 0 && d.id).map((d) => `${d.resourceType}/${d.id}`), 'MedicationRequest/d3'];
  for (const service of orderSelect) {
    it(`${service.id} with 60 drafts, every third selected`, () => {
      const context = { userId: 'Practitioner/example', patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) }, selections };
      const prefetch = Object.fromEntries(Object.keys(service.prefetch).map((key) => [key, key === 'patient' ? { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' } : { resourceType: 'Bundle', type: 'searchset', entry: [] }]));
      const a = evaluateService(service, { context, prefetch, now }, { explain: true });
      const b = evaluateService(plain.services.get(service.id)!, { context, prefetch, now }, { explain: true });
      expect(comparable(a)).toEqual(comparable(b));
    });
  }
});

/**
 * The native links of what follows a shape (src/rules/fast-chain.ts), over generated lists that
 * mix what they answer for (full dateTimes in several zones, ties, milliseconds, codings with
 * and without the codes) with what they must leave to fhirpath.js (dates without time or zone,
 * mixed precision, instants, primitive extensions, codes that are not one string). Same value,
 * or both throw.
 */
describe('fast paths give what fhirpath.js gives: native where and most-recent links', () => {
  const withFast = createFhirPathCompiler(fast.valueSets);
  const withoutFast = createFhirPathCompiler(fast.valueSets, new Map(), { fastPaths: false });
  const SMOKING = "code.coding.where(system = 'http://loinc.org' and code = '72166-2').exists()";
  const expressions = [
    `%observations.where(${SMOKING}).sort(effective.ofType(dateTime) desc).first()`,
    `%observations.where(${SMOKING}).sort(effective.ofType(dateTime) desc).first().value.ofType(CodeableConcept).coding.code`,
    `%observations.where(${SMOKING}).where(status = 'final').sort(effective.ofType(dateTime) desc).first().id`,
    `%bundle.entry.resource.ofType(Observation).sort(effective.ofType(dateTime) desc).first().id`,
    `%bundle.entry.resource.ofType(Condition).where(clinicalStatus.coding.where(code = 'active' or code = 'recurrence' or code = 'relapse').exists()
      and verificationStatus.coding.where(code = 'refuted' or code = 'entered-in-error').empty())`,
    `%bundle.entry.resource.ofType(Condition).where((clinicalStatus.empty() or clinicalStatus.coding.where(code = 'active').exists())
      and verificationStatus.coding.where(code = 'refuted').empty()).id`,
    `%bundle.entry.resource.ofType(Condition).where(verificationStatus.exists() or clinicalStatus.coding.where(code = 'resolved').exists()).count()`,
    `%observations.where(${SMOKING}).where(status in ('final' | 'amended') and effective.ofType(dateTime) >= now() - 3 years).id`,
    `%observations.where(${SMOKING}).where(effective.ofType(dateTime) < now() - 1 year or status = 'preliminary').count()`,
    `%bundle.entry.resource.ofType(Procedure).where((performed.ofType(dateTime) | performed.ofType(Period).start) >= now() - 5 years).id`,
    `%observations.where(${SMOKING}).where(iif(value.ofType(Quantity).code.exists(), value.ofType(Quantity).code, value.ofType(Quantity).unit) = 'mg/dL' and effective.ofType(dateTime) >= now() - 5 years)
      .sort(effective.ofType(dateTime) desc).first().value.ofType(Quantity).value`,
    `(%observations.where(${SMOKING}).where(effective.ofType(dateTime) >= now() - 1 year)
      | %procedures.where(code.coding.where(system = 'http://snomed.info/sct' and code = '73761001').exists()).where((performed.ofType(dateTime) | performed.ofType(Period).start) > now() - 3 years)).id`,
  ];
  // The call's clock, and instants on, just off (half a second, a second, a day) and far from the bounds of 1, 3 and 5 years.
  const clock = new Date('2026-06-15T12:00:00.000Z');
  const NEAR = ['2025-06-15', '2023-06-15', '2021-06-15'].flatMap((day) => [`${day}T12:00:00Z`, `${day}T12:00:00.500Z`, `${day}T11:59:59.500Z`, `${day}T12:00:01Z`, `${day}T11:59:59Z`, `${day}T14:00:00+02:00`, `${day.slice(0, 8)}14T12:00:00Z`, `${day.slice(0, 8)}16T12:00:00-05:00`]);
  const QUANTITIES = [{ value: 1, unit: 'mg/dL', code: 'mg/dL' }, { value: 2, unit: 'mg/dL' }, { value: 3, unit: 'mg/dL', code: 'mmol/L' }, { value: 4, code: 'mg/dL' }, { value: 5 }];
  const INSTANTS = ['2020-01-01T10:00:00Z', '2020-01-01T05:00:00-05:00', '2021-06-01T10:00:00+02:00', '2019-12-31T23:59:59+14:00', '2021-06-01T08:00:00Z'];
  const ODD = ['2021-06-01T10:00:00.000+02:00', '2019-03-04', '2022-01-01T00:00:00', '2023-05-05T12:00:00.5Z', '2021-06'];
  const statuses = (codes: string[]): unknown[] => [
    undefined,
    {},
    { text: 'no coding' },
    { coding: [] },
    ...codes.map((code) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] })),
    { coding: [{ code: codes[0] }, { code: codes[1] }] },
  ];
  const oddStatuses: unknown[] = [{ coding: [{ _code: { extension: [] } }] }, { coding: [{ code: ['active'] }] }, { coding: [{ code: 5 }] }];

  /** A small seeded generator, so a failure can be run again. */
  function random(seed: number) {
    let state = seed;
    return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  }
  function list(seed: number) {
    const next = random(seed);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
    const odd = seed % 4 === 0;
    const resources: Record<string, unknown>[] = [];
    for (let i = 0; i < 2 + Math.floor(next() * 8); i++) {
      const effective = next();
      resources.push({
        resourceType: 'Observation',
        id: `o${i}`,
        status: pick(['final', 'amended', 'preliminary']),
        code: { coding: [{ system: 'http://loinc.org', code: pick(['72166-2', '72166-2', '8480-6']) }] },
        ...(next() < 0.5 ? { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: `c${i}` }] } } : { valueQuantity: pick(QUANTITIES) }),
        ...(effective < 0.15
          ? {}
          : effective < 0.25
            ? { effectivePeriod: { start: pick(INSTANTS) } }
            : odd && effective < 0.4
              ? pick([{ effectiveDateTime: pick(ODD) }, { effectiveInstant: pick(INSTANTS) }, { effectiveDateTime: pick(INSTANTS), _effectiveDateTime: { extension: [] } }])
              : { effectiveDateTime: pick(next() < 0.5 ? INSTANTS : NEAR) }),
      });
      const performed = next();
      resources.push({
        resourceType: 'Procedure',
        id: `p${i}`,
        status: 'completed',
        code: { coding: [{ system: 'http://snomed.info/sct', code: '73761001' }] },
        ...(performed < 0.1
          ? {}
          : performed < 0.4
            ? { performedDateTime: pick(NEAR) }
            : performed < 0.7
              ? { performedPeriod: next() < 0.2 ? {} : { start: pick(NEAR) } }
              : odd
                ? pick([{ performedString: 'last spring' }, { performedDateTime: pick(ODD) }, { performedDateTime: pick(NEAR), performedPeriod: { start: pick(NEAR) } }, { performedPeriod: { start: pick(NEAR), _start: { extension: [] } } }])
                : { performedDateTime: pick(INSTANTS) }),
      });
      resources.push({
        resourceType: 'Condition',
        id: `c${i}`,
        ...(odd && next() < 0.3 ? { clinicalStatus: pick(oddStatuses) } : { clinicalStatus: pick(statuses(['active', 'recurrence', 'resolved'])) }),
        verificationStatus: pick(statuses(['confirmed', 'refuted', 'entered-in-error'])),
      });
    }
    return resources;
  }
  const outcome = (run: () => unknown) => {
    try {
      return { value: comparable(run()) };
    } catch (error) {
      return { threw: true };
    }
  };
  for (const [n, expression] of expressions.entries()) {
    it(`expression ${n + 1} over 200 generated lists: ${expression.slice(0, 90).replace(/\s+/g, ' ')}...`, () => {
      const fastRun = withFast(expression);
      const plainRun = withoutFast(expression);
      let answered = 0;
      for (let seed = 1; seed <= 200; seed++) {
        const resources = list(seed);
        const bundle = { resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) };
        // Half of the lists as a define computed by fhirpath.js hands them on (fhirpath-values.ts).
        const asDefine = (type: string) => (seed % 2 === 0 ? withoutFast(`%bundle.entry.resource.ofType(${type})`)({ bundle }) : resources.filter((r) => r.resourceType === type));
        const vars = { [CLOCK]: clock, observations: asDefine('Observation'), procedures: asDefine('Procedure'), bundle };
        const a = outcome(() => fastRun(vars));
        expect(a, `seed ${seed}`).toEqual(outcome(() => plainRun(vars)));
        if (!('threw' in a) && (a.value as unknown[]).length > 0) answered++;
      }
      // Not a trivial comparison: many lists give something.
      expect(answered).toBeGreaterThan(30);
    });
  }
});
