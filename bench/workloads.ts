/**
 * The bench's workloads, all made from what is in the repository: the Synthea patients in
 * test/fixtures/synthea, generated medication lists (codes drawn from the shipped value sets, so
 * `inValueSet` does real work), generated rule sets in the shape of the shipped ones, and the
 * pathological order-select call of issue 12.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';

const ROOT = new URL('../', import.meta.url).pathname;
const SYNTHEA = join(ROOT, 'test/fixtures/synthea');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export const SYNTHEA_PATIENTS = ['Adolfo777_Braun514', 'Adrian111_Wunsch504', 'Cher186_Crooks415', 'Debora709_Mayer370'];

export interface Workload {
  name: string;
  path: string;
  body: string;
  /** Resources in the call (context bundles and prefetch bundles). */
  resources: number;
}

const bundle = (type: string, resources: unknown[]) => ({ resourceType: 'Bundle', type, entry: resources.map((resource) => ({ resource })) });

function valueSetCodes(id: string): { code: string; display: string }[] {
  const vs = JSON.parse(readFileSync(join(ROOT, 'rules/valuesets', `${id}.json`), 'utf8')) as { expansion: { contains: { code: string; display: string }[] } };
  return vs.expansion.contains.map(({ code, display }) => ({ code, display }));
}

/**
 * A long active medication list: codes cycle through statins, ACE inhibitors/ARBs and metformin
 * (common in long lists, and members of value sets the rules look up, so every lookup is a real
 * membership test), plus one opioid, so the opioid + benzodiazepine card fires for the draft
 * alprazolam.
 */
function activeMedications(count: number, patientId: string) {
  const pool = [...valueSetCodes('statins'), ...valueSetCodes('ace-inhibitors-arbs'), ...valueSetCodes('metformin')];
  const opioid = valueSetCodes('opioid-analgesics-with-ambulatory-misuse-potential')[0]!;
  return Array.from({ length: count }, (_, i) => {
    const { code, display } = i === 0 ? opioid : pool[i % pool.length]!;
    return {
      resourceType: 'MedicationRequest',
      id: `active-${i}`,
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${patientId}` },
      authoredOn: '2026-06-01',
      medicationCodeableConcept: { coding: [{ system: RXNORM, code, display }], text: display },
      dosageInstruction: [{ text: 'as directed' }],
    };
  });
}

/** drug-interactions order-sign: a draft alprazolam for an adult on `count` active medications. */
export function drugInteractions(count: number, path = '/cds-services/drug-interactions'): Workload {
  const patientId = 'bench-patient';
  const request = {
    hook: 'order-sign',
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/bench',
      patientId,
      draftOrders: bundle('collection', [
        {
          resourceType: 'MedicationRequest',
          id: 'draft-1',
          status: 'draft',
          intent: 'order',
          subject: { reference: `Patient/${patientId}` },
          medicationCodeableConcept: { coding: [{ system: RXNORM, code: '308048', display: 'alprazolam 0.5 MG Oral Tablet' }] },
        },
      ]),
    },
    prefetch: {
      patient: { resourceType: 'Patient', id: patientId, birthDate: '1960-05-01', gender: 'female' },
      activeMeds: bundle('searchset', activeMedications(count, patientId)),
      // The potassium rule's own prefetch (recent serum potassium results): none on file.
      potassium: bundle('searchset', []),
      // Every other key of the service's prefetch, as an EHR honouring discovery sends them: no
      // QTc result and none of the listed conditions on file. (Left out, the QT rules were
      // skipped and every call answered degraded; bench/run.ts now refuses such a workload.)
      qtc: bundle('searchset', []),
      conditions: bundle('searchset', []),
    },
  };
  return { name: `drug-interactions order-sign, ${count} active MedicationRequests`, path, body: JSON.stringify(request), resources: count + 2 };
}

/**
 * patient-view on preventive-care for a Synthea patient, prefetched as an EHR would: the Patient,
 * and for each search every resource of its type in the record (a superset of what the query
 * matches, so the rules walk at least as much data as in real use).
 */
export function preventiveCare(patientFile: string, prefetchTemplate: Record<string, string>): Workload {
  const record = JSON.parse(readFileSync(join(SYNTHEA, `${patientFile}.bundle.json`), 'utf8')) as Bundle;
  const resources = (record.entry ?? []).map((e) => e.resource as Resource);
  const patient = resources.find((r) => r.resourceType === 'Patient')!;
  let count = 1;
  const prefetch = Object.fromEntries(
    Object.entries(prefetchTemplate).map(([key, query]) => {
      if (query.startsWith('Patient/')) return [key, patient];
      const type = query.split(/[/?]/)[0]!;
      const matching = resources.filter((r) => r.resourceType === type);
      count += matching.length;
      return [key, bundle('searchset', matching)];
    }),
  );
  const request = { hook: 'patient-view', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/bench', patientId: patient.id }, prefetch };
  return { name: `preventive-care patient-view, ${patientFile}`, path: '/cds-services/preventive-care', body: JSON.stringify(request), resources: count };
}

/**
 * The pathological call of issue 12: allergy-check order-select with `count` draft orders, every
 * one of them listed in `selections` (`x in %selections` inside a `where` over all drafts).
 */
export function pathologicalOrderSelect(count: number): Workload {
  const penicillin = valueSetCodes('penicillins').find((c) => /^amoxicillin \d+ MG Oral Capsule$/.test(c.display))!;
  const drafts = Array.from({ length: count }, (_, i) => ({
    resourceType: 'MedicationRequest',
    id: `d${i}`,
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: { coding: [{ system: RXNORM, ...penicillin }] },
  }));
  const request = {
    hook: 'order-select',
    hookInstance: crypto.randomUUID(),
    context: { userId: 'Practitioner/bench', patientId: 'p1', draftOrders: bundle('collection', drafts), selections: drafts.map((d) => `MedicationRequest/${d.id}`) },
    prefetch: { allergies: bundle('searchset', []) },
  };
  return { name: `allergy-check order-select, ${count} drafts all selected`, path: '/cds-services/allergy-check', body: JSON.stringify(request), resources: count };
}

/**
 * A content folder with one order-sign service of `count` rules in the shape of the shipped
 * drug-interactions rules: service-level defines over the prefetch, each rule a define of its
 * own with an `inValueSet` filter, an all/any `when`, and a card with placeholders. The value
 * sets, data tables and cards are the shipped ones (copied), the rules cycle through value sets.
 */
export function generatedRuleSet(dir: string, count: number): string {
  mkdirSync(join(dir, 'rules/generated'), { recursive: true });
  cpSync(join(ROOT, 'rules/valuesets'), join(dir, 'rules/valuesets'), { recursive: true });
  mkdirSync(join(dir, 'cards'), { recursive: true });
  writeFileSync(
    join(dir, 'cards/generated-interaction.yaml'),
    ['summary: "Review {{drug}} with {{other}}"', 'indicator: warning', 'detail: "{{drug}} is ordered while {{other}} is active."', 'source:', '  label: bench', ''].join('\n'),
  );
  const valueSets = ['statins', 'ace-inhibitors-arbs', 'metformin', 'nsaids', 'warfarin', 'benzodiazepine-medications', 'opioid-analgesics-with-ambulatory-misuse-potential', 'proton-pump-inhibitors'];
  writeFileSync(
    join(dir, 'rules/generated/service.yaml'),
    [
      'hook: order-sign',
      'title: Generated interactions',
      'description: Generated rules for the bench.',
      'prefetch:',
      '  patient: Patient/{{context.patientId}}',
      '  activeMeds: MedicationRequest?patient={{context.patientId}}&status=active',
      'define:',
      '  draftMeds: "%draftOrders.entry.resource.ofType(MedicationRequest)"',
      `  activeMedRequests: "%activeMeds.entry.resource.ofType(MedicationRequest).where(status = 'active')"`,
      '',
    ].join('\n'),
  );
  for (let i = 0; i < count; i++) {
    const a = valueSets[i % valueSets.length]!;
    const b = valueSets[(i + 3) % valueSets.length]!;
    writeFileSync(
      join(dir, `rules/generated/rule-${i}.yaml`),
      [
        `id: rule-${i}`,
        `title: Generated interaction ${i}`,
        'references:',
        '  - label: bench',
        '    url: https://example.org/bench',
        'define:',
        `  drafts: "%draftMeds.where(medication.coding.inValueSet('${a}'))"`,
        `  active: "%activeMedRequests.where(medication.coding.inValueSet('${b}'))"`,
        'when:',
        '  all:',
        '    - "%patient.birthDate.ageInYears() >= 18"',
        '    - any:',
        '        - "%drafts.exists() and %active.exists()"',
        `        - "%drafts.exists() and %active.count() > ${1000 + i}"`,
        'card: generated-interaction',
        'with:',
        '  drug: "%drafts.first().medication"',
        '  other: "%active.first().medication"',
        '',
      ].join('\n'),
    );
  }
  return dir;
}
