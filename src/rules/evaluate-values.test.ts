import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { evaluateService } from './evaluate.ts';

/**
 * What evaluation gives back and what it leaves behind (fhirpath-values.ts): define values keep
 * their FHIR types from one expression to the next, card values and explanations are plain JSON,
 * and the call's data is not marked (fhirpath.js's JSON answers hid a `__path__` on every object
 * they returned, the request's own objects included, holding the whole evaluation).
 */
function service() {
  const { ruleSet, problems } = compileContent([
    {
      path: 'rules/demo/service.yaml',
      text: [
        'hook: patient-view',
        'title: Demo',
        'description: Values between expressions',
        'prefetch:',
        '  weights: Observation?patient={{context.patientId}}&code=29463-7',
        'define:',
        // A Quantity: comparing it with a quantity literal needs its FHIR type.
        '  latestWeight: "%weights.entry.resource.first().value"',
        '  heavyWeights: "%weights.entry.resource.where(value > 100 \'kg\')"',
      ].join('\n'),
    },
    {
      path: 'rules/demo/heavy.yaml',
      text: [
        'id: heavy',
        'title: Heavy',
        'references: [{ label: Test, url: "https://example.org/test" }]',
        'when: { all: ["%latestWeight > 100 \'kg\'", "%heavyWeights.count() = 1"] }',
        'card: hello',
        'with:',
        '  weight: "%latestWeight"',
        '  observation: "%heavyWeights.first()"',
      ].join('\n'),
    },
    { path: 'cards/hello.yaml', text: 'summary: Hello\nindicator: info\nsource:\n  label: Demo\n' },
  ]);
  if (!ruleSet) throw new Error(JSON.stringify(problems));
  return ruleSet.services.get('demo')!;
}

const observation = (value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});
const input = () => ({
  context: { patientId: 'p1' },
  prefetch: { weights: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: observation(120) }, { resource: observation(80) }] } },
  now: new Date('2026-03-01T12:00:00Z'),
});

/** Every object in `value` that has an own property `name`. */
function marked(value: unknown, name: string, found: unknown[] = []): unknown[] {
  if (!value || typeof value !== 'object') return found;
  if (Object.getOwnPropertyNames(value).includes(name)) found.push(value);
  for (const child of Object.values(value)) marked(child, name, found);
  return found;
}

describe('evaluation values', () => {
  it('a define that is a FHIR object keeps its type for the next expression (a Quantity compares with a quantity)', () => {
    const [outcome] = evaluateService(service(), input());
    expect(outcome).toMatchObject({ ruleId: 'heavy', fired: true });
    const quiet = input();
    quiet.prefetch.weights.entry = [{ resource: observation(90) }];
    expect(evaluateService(service(), quiet)[0]).toMatchObject({ ruleId: 'heavy', fired: false });
  });

  it('card values and explanations are plain JSON', () => {
    const [outcome] = evaluateService(service(), input(), { explain: true });
    expect(outcome!.values).toEqual({ weight: [observation(120).valueQuantity], observation: [observation(120)] });
    for (const [value] of Object.values(outcome!.values!)) expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    const defines = outcome!.explanation!.defines;
    expect(defines.find((d) => d.name === 'latestWeight')!.value).toEqual([observation(120).valueQuantity]);
    expect(Object.getPrototypeOf(defines.find((d) => d.name === 'heavyWeights')!.value![0])).toBe(Object.prototype);
  });

  it("leaves the call's data as it was: no object is marked", () => {
    const data = input();
    const [outcome] = evaluateService(service(), data, { explain: true });
    expect(outcome!.fired).toBe(true);
    expect(marked(data, '__path__')).toEqual([]);
    expect(marked(outcome, '__path__')).toEqual([]);
  });
});
