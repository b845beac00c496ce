/**
 * The Rec 10 services' flagPositiveCannabinoids setting (issue 14 finding 8): off by default
 * (the rule tests cover that); switched on, a positive cannabinoid screen is unexpected unless a
 * cannabinoid was prescribed in the 31 days before the test. The shipped content is compiled
 * with the setting edited to "true", as a site would edit its service.yaml.
 */
import { describe, expect, it } from 'vitest';
import { loadRuleTests, runCase } from '../../src/authoring/rule-tests.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { compileContent } from '../../src/rules/compile.ts';
import { formatProblem } from '../../src/rules/source.ts';

const SERVICE = 'rules/opioidcds-10-order-sign/service.yaml';
const TEST_FILE = 'rules/opioidcds-10-order-sign/uds-unexpected-results.test.yaml';

const cases = `
cases:
  - name: setting on, positive cannabinoid screen with no cannabinoid prescribed
    patient: { birthDate: $today-29y, gender: female }
    resources:
      - &thc
        resourceType: Observation
        status: final
        code: { coding: [{ system: http://loinc.org, code: 18282-4, display: "Cannabinoids [Presence] in Urine by Screen method" }] }
        effectiveDateTime: $today-20d
        valueString: Positive
    draftOrders:
      - &oxycodone
        resourceType: MedicationRequest
        id: draft-oxycodone
        category: [{ coding: [{ system: http://terminology.hl7.org/CodeSystem/medicationrequest-category, code: community }] }]
        medicationCodeableConcept: { coding: [{ system: http://www.nlm.nih.gov/research/umls/rxnorm, code: "1049621", display: oxycodone hydrochloride 5 MG Oral Tablet }] }
        authoredOn: $today
        dispenseRequest: { expectedSupplyDuration: { value: 30, unit: days, system: http://unitsofmeasure.org, code: d } }
    expect:
      cards:
        - detailContains: ["- Cannabinoids: positive on "]
  - name: setting on, dronabinol prescribed 10 days before the test makes it expected
    patient: { birthDate: $today-29y, gender: female }
    resources:
      - *thc
      - resourceType: MedicationRequest
        status: active
        intent: order
        category: [{ coding: [{ system: http://terminology.hl7.org/CodeSystem/medicationrequest-category, code: community }] }]
        medicationCodeableConcept: { text: dronabinol 5 mg oral capsule }
        authoredOn: $today-30d
    draftOrders: [*oxycodone]
    expect: { cards: [] }
`;

describe('Rec 10 flagPositiveCannabinoids setting', async () => {
  const files = (await readContentFiles('.')).map((f) => {
    if (f.path === SERVICE) {
      expect(f.text).toContain('flagPositiveCannabinoids: "false"');
      return { ...f, text: f.text.replace('flagPositiveCannabinoids: "false"', 'flagPositiveCannabinoids: "true"') };
    }
    return f.path === TEST_FILE ? { ...f, text: cases } : f;
  });
  const { ruleSet, problems } = compileContent(files);
  const test = loadRuleTests(files).tests.find((t) => t.path === TEST_FILE)!;

  it('compiles with the setting on', () => {
    expect(problems.map(formatProblem)).toEqual([]);
  });
  for (const testCase of test.cases) {
    it(testCase.name, async () => {
      const result = await runCase(ruleSet!, test, testCase);
      expect(result.failures).toEqual([]);
    });
  }
});
