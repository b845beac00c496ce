/**
 * Every table the service looks up with a value from the request, probed with the names of
 * Object.prototype's properties. A plain-object table answers `'constructor' in TABLE` with
 * true and `TABLE['toString']` with a function: an MME of NaN ("at NaN MME/day") was the
 * result (issue 13, finding 1). Each lookup must treat these names as unknown.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCard } from '../../src/cards/render.ts';
import { isHookName } from '../../src/protocol/hooks.ts';
import { expandTemplate } from '../../src/protocol/prefetch-template.ts';
import { dosesPerDay, mmeOfRequest, mmeTables } from '../../src/rules/mme.ts';
import { supplyDays } from '../../src/rules/supply.ts';
import { post, shippedRuleSet, testApp } from '../support/app.ts';
import { bundle, opioidOrder, RXNORM } from '../support/requests.ts';

/** Names every plain object answers to. */
export const PROPERTY_NAMES = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
];

const tables = mmeTables(
  new Map(['opioid-drug-strengths', 'mme-conversion-factors'].map((name) => [name, JSON.parse(readFileSync(`rules/data/${name}.json`, 'utf8'))])),
)!;
const UCUM = 'http://unitsofmeasure.org';

/** Oxycodone 10 mg tablet (RxNorm 1049683), the dose and timing given. */
const oxycodone = (dose: Record<string, unknown>, timing: Record<string, unknown>) => ({
  resourceType: 'MedicationRequest',
  medicationCodeableConcept: { coding: [{ system: RXNORM, code: '1049683' }] },
  dosageInstruction: [{ doseAndRate: [{ doseQuantity: dose }], timing }],
});
const daily = { repeat: { frequency: 1, period: 1, periodUnit: 'd' } };

/** Each lookup keyed by request data, and what it must give for a name it does not know. */
/** A placeholder name starts with a letter: `{{__proto__}}` is left as text, which is as good as unknown. */
const unfilled = (placeholder: string) => (key: string) => (/^[A-Za-z]/.test(key) ? 'x' : `x{{${placeholder}${key}}}`);

const LOOKUPS: { table: string; probe: (key: string) => unknown; unknown: unknown }[] = [
  { table: 'mme.ts MASS / VOLUME (dose unit code)', probe: (k) => mmeOfRequest(oxycodone({ value: 10, system: UCUM, code: k }, daily), tables), unknown: undefined },
  { table: 'mme.ts MASS / VOLUME (dose unit text)', probe: (k) => mmeOfRequest(oxycodone({ value: 10, unit: k }, daily), tables), unknown: undefined },
  { table: 'mme.ts UNITS_PER_DAY (periodUnit)', probe: (k) => dosesPerDay({ repeat: { frequency: 2, period: 1, periodUnit: k } }), unknown: undefined },
  { table: 'mme.ts TIMING_CODES (timing.code)', probe: (k) => dosesPerDay({ code: { coding: [{ code: k }] } }), unknown: 1 },
  { table: 'mme.ts drugs (RxNorm code)', probe: (k) => mmeOfRequest({ ...oxycodone({ value: 1, code: '{tab}' }, daily), medicationCodeableConcept: { coding: [{ system: RXNORM, code: k }] } }, tables), unknown: undefined },
  { table: 'supply.ts DAYS_PER_UNIT (expectedSupplyDuration unit)', probe: (k) => supplyDays({ dispenseRequest: { expectedSupplyDuration: { value: 7, code: k } } }), unknown: undefined },
  { table: 'supply.ts DAYS_PER_UNIT (unit with a plural s)', probe: (k) => supplyDays({ dispenseRequest: { expectedSupplyDuration: { value: 7, unit: `${k}s` } } }), unknown: undefined },
  { table: 'hooks.ts HOOKS (hook name)', probe: (k) => isHookName(k), unknown: false },
  { table: 'prefetch-template.ts USER_TOKENS / context (token)', probe: (k) => expandTemplate(`Patient/{{${k}}}`, { patientId: 'p1' }, new Date()), unknown: undefined },
  {
    table: 'render.ts context placeholders (context field)',
    probe: (k) =>
      renderCard({ summary: `x{{context.${k}}}`, indicator: 'info', source: { label: 's' } } as never, {}, { patientId: 'p1' }, () => crypto.randomUUID()).summary,
    unknown: unfilled('context.'),
  },
  {
    table: 'render.ts rule values (placeholder name)',
    probe: (k) => renderCard({ summary: `x{{${k}}}`, indicator: 'info', source: { label: 's' } } as never, {}, {}, () => crypto.randomUUID()).summary,
    unknown: unfilled(''),
  },
];

describe('tables keyed by request data treat Object.prototype names as unknown', () => {
  for (const { table, probe, unknown } of LOOKUPS) {
    it(table, () => {
      for (const key of PROPERTY_NAMES) expect(probe(key), `${table} with '${key}'`).toEqual(typeof unknown === 'function' ? unknown(key) : unknown);
    });
  }

  it('a service id named like a property: 404 for the hook call and its feedback', async () => {
    const t = await testApp();
    try {
      for (const key of PROPERTY_NAMES) {
        expect((await post(t.app, `/cds-services/${key}`, {})).status, key).toBe(404);
        expect((await post(t.app, `/cds-services/${key}/feedback`, { feedback: [] })).status, key).toBe(404);
      }
    } finally {
      await t.close();
    }
  });

  it('an opioid order with a dose unit named like a property does not hide the others: the 90 MME/day card still fires', async () => {
    const t = await testApp();
    try {
      const service = (await shippedRuleSet()).services.get('opioidcds-04-05-order-sign')!;
      const order = (id: string, code: string, display: string, dose: Record<string, unknown>, timing: Record<string, unknown>) => opioidOrder({ id, code, display, dose, timing });
      for (const key of PROPERTY_NAMES) {
        const res = await post(t.app, '/cds-services/opioidcds-04-05-order-sign', {
          hook: 'order-sign',
          hookInstance: crypto.randomUUID(),
          context: {
            userId: 'Practitioner/example',
            patientId: 'p1',
            draftOrders: bundle('collection', [
              // 1 tablet twice a day of oxycodone ER 30 mg: 90 MME/day.
              order('oxy-er', '1049574', '12 HR oxycodone hydrochloride 30 MG Extended Release Oral Tablet', { value: 1, unit: 'tablet', system: UCUM, code: '{tab}' }, { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }),
              order('oxy-odd', '1049683', 'oxycodone hydrochloride 10 MG Oral Tablet', { value: 30, unit: key, system: UCUM, code: key }, daily),
            ]),
          },
          prefetch: Object.fromEntries(
            Object.keys(service.prefetch).map((k) => [k, k === 'patient' ? { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: `${new Date().getUTCFullYear() - 52}-01-01` } : bundle('searchset', [])]),
          ),
        });
        const text = await res.text();
        expect(res.status, text).toBe(200);
        expect(text, key).not.toContain('NaN');
        const { cards } = JSON.parse(text) as { cards: { summary: string; detail: string }[] };
        expect(cards.map((c) => c.summary), key).toEqual(['CDC opioid Rec 4/5: 90 MME/day (90 or more), high overdose risk; exercise care when changing the dose']);
        expect(cards[0]!.detail).toContain('not computable');
      }
    } finally {
      await t.close();
    }
  });
});
