/**
 * Mistakes that used to pass `check` and then made a rule silently never fire or render wrong
 * (issue 15 items 2, 4, 5): each must be found, once, at its exact place.
 */
import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { formatProblem, type SourceFile } from './source.ts';

const service = (extra = '') => ({
  path: 'rules/svc/service.yaml',
  text: `hook: patient-view\ntitle: Svc\ndescription: A service\nprefetch:\n  patient: Patient/{{context.patientId}}\n  qtc: Observation?patient={{context.patientId}}&code=http://loinc.org|8636-3&_sort=-date\n${extra}`,
});
const card = (text = 'summary: "QTc {{qtc}}"\nindicator: warning\nsource:\n  label: Test\n', path = 'cards/qtc.yaml') => ({ path, text });
const rule = (body: string, path = 'rules/svc/r.yaml') => ({
  path,
  text: `id: r\ntitle: R\nreferences: [{ label: T, url: "https://example.org" }]\n${body}`,
});
const problems = (files: SourceFile[]) => compileContent(files).problems.map(formatProblem);

describe('issue 15 item 2: mistakes check must find', () => {
  it('a delete action written with resource: instead of resourceId:', () => {
    const withDelete = card(
      'summary: QTc\nindicator: warning\nsource:\n  label: Test\nsuggestions:\n  - label: Cancel\n    actions:\n      - type: delete\n        description: Cancel the order\n        resource: "{{order}}"\n',
    );
    expect(problems([withDelete])).toEqual([
      "cards/qtc.yaml:10:9: unknown key 'resource' (did you mean 'resourceId'?)",
    ]);
  });

  it('an unclosed placeholder in a card and in a system action', () => {
    expect(problems([card('summary: "QTc {{qtc ms: long"\nindicator: warning\nsource:\n  label: Test\n')])).toEqual([
      "cards/qtc.yaml:1:15: unclosed placeholder '{{qtc ms: long': expected {{name}}",
    ]);
    const actions = 'systemActions:\n  - type: update\n    description: "Flag {{qtc"\n    resource: "{{qtc}}"\nwith:\n  qtc: "%qtc.entry.resource.first()"\n';
    expect(problems([service(), rule(`when: "true"\n${actions}`)])).toEqual([
      "rules/svc/r.yaml:7:24: unclosed placeholder '{{qtc': expected {{name}}",
    ]);
  });

  it('a Quantity compared with a number', () => {
    const body = 'define:\n  lastQtc: "%qtc.entry.resource.first()"\nwhen: "%lastQtc.value.ofType(Quantity) > 500"\ncard: qtc\nwith:\n  qtc: "%lastQtc.value"\n';
    expect(problems([service(), rule(body), card()])).toEqual([
      "rules/svc/r.yaml:6:40: compares a Quantity with a number (500): this is never true; compare its value (.value > 500) or a quantity (> 500 'ms')",
    ]);
    // A choice element (Observation.value[x]) whose Quantity is compared with a plain number.
    const choice = 'define:\n  lastQtc: "%qtc.entry.resource.first()"\nwhen: "%lastQtc.value > 500"\ncard: qtc\nwith:\n  qtc: "%lastQtc.value"\n';
    expect(problems([service(), rule(choice), card()])).toEqual([
      "rules/svc/r.yaml:6:23: compares Observation.value (Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime or Period) with a number (500): a Quantity is never equal to or ordered with a number; write value.ofType(Quantity).value > 500",
    ]);
    const fine = "define:\n  lastQtc: \"%qtc.entry.resource.first()\"\nwhen: \"%lastQtc.value.ofType(Quantity).value > 500 and %lastQtc.value.ofType(Quantity) > 500 'ms'\"\ncard: qtc\nwith:\n  qtc: \"%lastQtc.value\"\n";
    expect(problems([service(), rule(fine), card()])).toEqual([]);
  });

  it('a condition that yields a number or a string, not true/false/empty', () => {
    const count = 'when: "%qtc.entry.count()"\ncard: qtc\nwith:\n  qtc: "\'x\'"\n';
    expect(problems([service(), rule(count), card()])).toEqual([
      'rules/svc/r.yaml:4:8: a condition must give true, false or empty, but this gives an integer: compare it (> 0) or test it (.exists())',
    ]);
    const text = 'when:\n  all:\n    - "%patient.gender"\ncard: qtc\nwith:\n  qtc: "\'x\'"\n';
    expect(problems([service(), rule(text), card()])).toEqual([
      'rules/svc/r.yaml:6:8: a condition must give true, false or empty, but this gives a code: compare it (> 0) or test it (.exists())',
    ]);
  });
});

describe('issue 15 item 4: the first cause, once', () => {
  it('one typo in a define gives one error, not more about the define itself', () => {
    const body = 'define:\n  longQtc: "%qtc.entry.resource.exist()"\nwhen: "%longQtc"\ncard: qtc\nwith:\n  qtc: "%longQtc"\n';
    expect(problems([service('define:\n  adult: "%patient.birthDate.ageInYear() >= 18"\n'), rule(`${body.replace('"%longQtc"', '"%longQtc and %adult"')}`), card()])).toEqual([
      "rules/svc/r.yaml:5:33: unknown function 'exist' (did you mean 'exists'?)",
      "rules/svc/service.yaml:8:30: unknown function 'ageInYear' (did you mean 'ageInYears'?)",
    ]);
  });

  it('a YAML error in a card reports the YAML error, not that the card does not exist', () => {
    const body = 'when: "true"\ncard: qtc\nwith:\n  qtc: "\'x\'"\n';
    expect(problems([service(), rule(body), card('summary: "QTc {{qtc}}\nindicator: warning\n')])).toEqual([
      'cards/qtc.yaml:1:10: YAML syntax: this string is never closed (missing ")',
    ]);
  });
});

describe('issue 15 item 5: positions inside multi-line FHIRPath', () => {
  const body = (when: string) => `when: ${when}\ncard: qtc\nwith:\n  qtc: "'x'"\n`;

  it('a folded block (>-) points at the token on its own line', () => {
    expect(problems([service(), rule(body('>-\n  %qtc.entry.resource\n    .where(status = \'final\')\n    .exist()')), card()])).toEqual([
      "rules/svc/r.yaml:7:6: unknown function 'exist' (did you mean 'exists'?)",
    ]);
  });

  it('a literal block (|) too, and a FHIRPath syntax error in one', () => {
    expect(problems([service(), rule(body('|\n  %qtc.entry.resource\n    .where(%qtcc.exists())\n    .exists()')), card()])).toEqual([
      "rules/svc/r.yaml:6:12: %qtcc is not a define, prefetch key or context variable here (did you mean 'qtc'?)",
    ]);
    expect(problems([service(), rule(body('>-\n  %qtc.entry.resource\n    .where(status = )\n    .exists()')), card()])).toEqual([
      "rules/svc/r.yaml:6:21: FHIRPath syntax error: mismatched input ')'",
    ]);
  });

  it('a quoted string folded over several lines', () => {
    expect(problems([service(), rule(body('"%qtc.entry.resource\n  .exist()"')), card()])).toEqual([
      "rules/svc/r.yaml:5:4: unknown function 'exist' (did you mean 'exists'?)",
    ]);
  });

  it('an indentation mistake inside a block gives path:line:col, not raw parser lines', () => {
    const text = rule('define:\n  longQtc: >-\n    %qtc.entry.resource\n  .exists()\nwhen: "%longQtc"\ncard: qtc\nwith:\n  qtc: "\'x\'"\n').text;
    const found = problems([service(), { path: 'rules/svc/r.yaml', text }, card()]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^rules\/svc\/r\.yaml:7:3: YAML syntax: [^\n]+$/);
  });
});
