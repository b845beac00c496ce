import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { formatProblem, type SourceFile } from './source.ts';

const service = (hook = 'order-sign', extra = '') => ({
  path: 'rules/svc/service.yaml',
  text: `hook: ${hook}\ntitle: Svc\ndescription: A service\n${extra}`,
});
const card = (text = 'summary: "Hello {{name}}"\nindicator: info\nsource:\n  label: Test\n') => ({ path: 'cards/hello.yaml', text });
const rule = (body: string, path = 'rules/svc/r.yaml') => ({
  path,
  text: `id: r\ntitle: R\nreferences: [{ label: T, url: "https://example.org" }]\n${body}`,
});
const valueSet = (id = 'vs', file = id) => ({
  path: `rules/valuesets/${file}.json`,
  text: JSON.stringify({ resourceType: 'ValueSet', id, expansion: { contains: [{ system: 's', code: 'c' }] } }, null, 2),
});

function problems(files: SourceFile[]): string[] {
  return compileContent(files).problems.map(formatProblem);
}
const problems_ = problems;

describe('compileContent', () => {
  it('compiles good content into services with the union of prefetch', () => {
    const { ruleSet, problems } = compileContent([
      service('order-sign', 'prefetch:\n  meds: MedicationRequest?patient={{context.patientId}}\n'),
      rule('prefetch:\n  pt: Patient/{{context.patientId}}\nwhen: "%meds.entry.exists()"\ncard: hello\nwith:\n  name: "%pt.name.first().family"\n'),
      card(),
    ]);
    expect(problems).toEqual([]);
    expect(ruleSet!.services.get('svc')!.prefetch).toEqual({
      meds: 'MedicationRequest?patient={{context.patientId}}',
      pt: 'Patient/{{context.patientId}}',
    });
    expect(ruleSet!.counts).toEqual({ services: 1, rules: 1, cards: 1, valueSets: 0, libraries: 0, dataTables: 0 });
  });

  it('an unknown key points at the key, with a suggestion', () => {
    expect(problems([service(), rule('when: "true"\ncrad: hello\n'), card()])).toEqual([
      "rules/svc/r.yaml:1:1: card: a rule needs a card, systemActions, or both",
      "rules/svc/r.yaml:5:1: unknown key 'crad' (did you mean 'card'?)",
    ]);
  });

  it('an unknown hook names the allowed ones', () => {
    const [first] = problems([service('order-review')]);
    expect(first).toMatch(/^rules\/svc\/service\.yaml:1:7: hook: must be one of patient-view, order-select, order-sign/);
  });

  it('a %variable that does not exist points at the % inside the string', () => {
    expect(problems([service(), rule('when: "%draftOrder.entry.exists()"\ncard: hello\nwith:\n  name: "\'x\'"\n'), card()])).toEqual([
      "rules/svc/r.yaml:4:8: %draftOrder is not a define, prefetch key or context variable here (did you mean 'draftOrders'?)",
    ]);
  });

  it('a variable declared with defineVariable() in the same expression is known there, and only there', () => {
    const ok = "when: \"%draftOrders.entry.resource.where(defineVariable('start', authoredOn).select(%draftOrders.entry.resource.where(authoredOn > %start)).exists()).exists()\"\n";
    expect(problems([service(), rule(`${ok}card: hello\nwith:\n  name: "%start"\n`), card()])).toEqual([
      'rules/svc/r.yaml:7:10: %start is not a define, prefetch key or context variable here',
    ]);
  });

  it('a FHIRPath syntax error points at its column inside the YAML string', () => {
    expect(problems([service(), rule('when: "%draftOrders.entry.where(resource.id = )"\ncard: hello\nwith:\n  name: "\'x\'"\n'), card()])).toEqual([
      "rules/svc/r.yaml:4:47: FHIRPath syntax error: mismatched input ')'",
    ]);
  });

  it('a value set that does not exist points at its name', () => {
    expect(
      problems([service(), valueSet('warfarin'), rule("when: \"%draftOrders.entry.resource.where(medication.coding.inValueSet('warfrin')).exists()\"\ncard: hello\nwith:\n  name: \"'x'\"\n"), card()]),
    ).toEqual(["rules/svc/r.yaml:4:72: value set 'warfrin' does not exist in rules/valuesets/ (did you mean 'warfarin'?)"]);
  });

  it('a missing card template and an unfilled placeholder are reported on the card line', () => {
    expect(problems([service(), rule('when: "true"\ncard: helo\n'), card()])).toEqual([
      "rules/svc/r.yaml:5:7: card template 'helo' does not exist in cards/ (did you mean 'hello'?)",
    ]);
    expect(problems([service(), rule('when: "true"\ncard: hello\n'), card()])).toEqual([
      "rules/svc/r.yaml:5:7: card 'hello' uses {{name}} (at summary), which this rule's 'with' does not fill",
    ]);
  });

  it('a prefetch token the hook does not have points at the token', () => {
    expect(problems([service('order-sign', 'prefetch:\n  x: Observation?patient={{context.patientId}}&encounter={{context.draftOrders}}\n')])).toEqual([
      'rules/svc/service.yaml:5:58: context.draftOrders cannot be used as a prefetch token (only root-level ids can; a path into it can, e.g. {{context.draftOrders.entry.resource.id}})',
    ]);
    // CDS Hooks 3.0 tokens get the same check, at the token.
    expect(problems([service('patient-view', 'prefetch:\n  x: Observation?patient={{context.patientId}}&date=gt{{today() - 3 months}}\n')])[0]).toMatch(
      /^rules\/svc\/service\.yaml:5:55: only days can be added to or subtracted from today\(\)/,
    );
    expect(problems([service('patient-view', 'prefetch:\n  x: Observation?patient={{context.patientId}}&_maxresults=0\n')])).toEqual([
      "rules/svc/service.yaml:5:6: _maxresults must be a positive whole number, not '0'",
    ]);
    expect(problems([service('patient-view', 'prefetch:\n  x: Patient/{{patient}}\n')])[0]).toMatch(
      /^rules\/svc\/service\.yaml:5:14: unknown prefetch token '\{\{patient\}\}'; expected one of \{\{context.userId\}\}, \{\{context.patientId\}\}, \{\{context.encounterId\}\}, \{\{userPractitionerId\}\}/,
    );
  });

  it('an HL7 non-adherence override reason must be a code of that system, named at the code', () => {
    const reasons = (code: string) =>
      card(`summary: Hello\nindicator: info\nsource:\n  label: Test\noverrideReasons:\n  - system: http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes\n    code: ${code}\n    display: Patient declined\n`);
    const base = [service('patient-view', ''), rule('when: "true"\ncard: hello\n')];
    expect(problems([...base, reasons('patient-refuses')])).toEqual([]);
    expect(problems([...base, reasons('patient-declined')])[0]).toMatch(/^cards\/hello\.yaml:7:11: overrideReasons\.0\.code: is not a code of http:\/\/terminology\.hl7\.org\/CodeSystem\/non-adherence-reason-codes/);
  });

  it('the same prefetch key with two different queries is an error', () => {
    expect(
      problems([
        service('order-sign', 'prefetch:\n  meds: MedicationRequest?patient={{context.patientId}}\n'),
        rule('prefetch:\n  meds: MedicationRequest?patient={{context.patientId}}&status=active\nwhen: "true"\ncard: hello\nwith:\n  name: "\'x\'"\n'),
        card(),
      ]),
    ).toEqual(["rules/svc/r.yaml:5:3: prefetch key 'meds' is already defined differently in rules/svc/service.yaml"]);
  });

  it('duplicate rule ids in a service are an error', () => {
    const body = 'when: "true"\ncard: hello\nwith:\n  name: "\'x\'"\n';
    expect(problems([service(), rule(body), rule(body, 'rules/svc/r2.yaml'), card()])).toEqual([
      "rules/svc/r2.yaml:1:5: duplicate rule id 'r' (also in rules/svc/r.yaml)",
    ]);
  });

  it('a define that depends on itself is an error', () => {
    expect(problems([service(), rule('define:\n  a: "%b"\n  b: "%a"\nwhen: "%a"\ncard: hello\nwith:\n  name: "\'x\'"\n'), card()])).toEqual([
      "rules/svc/r.yaml:5:6: define 'a' depends on itself: a -> b -> a",
    ]);
  });

  it('a static summary of 140 characters or more is an error', () => {
    const long = 'x'.repeat(140);
    expect(problems([card(`summary: ${long}\nindicator: info\nsource:\n  label: T\n`)])).toEqual([
      'cards/hello.yaml:1:10: summary is 140 characters; CDS Hooks requires under 140',
    ]);
  });

  it('a YAML syntax error gives its position and nothing else of that file', () => {
    expect(problems([service(), rule('when: "true\ncard: hello\n'), card()])).toEqual([
      'rules/svc/r.yaml:4:7: YAML syntax: this string is never closed (missing ")',
    ]);
  });

  it('a value set whose id does not match its file name is an error', () => {
    expect(problems([valueSet('warfarin', 'coumadin')])).toEqual([
      "rules/valuesets/coumadin.json:3:9: value set id 'warfarin' must match its file name 'coumadin.json'",
    ]);
  });

  it('a rule file outside any service folder is reported', () => {
    expect(problems([rule('when: "true"\ncard: hello\n', 'rules/orphan/r.yaml')])).toEqual([
      'rules/orphan/r.yaml:1:1: rule file is in rules/orphan/, which has no service.yaml',
    ]);
  });

  it('a service includes a library: its prefetch and defines, in one namespace with its own', () => {
    const library = {
      path: 'rules/libraries/common.yaml',
      text: 'description: Shared\nprefetch:\n  pt: Patient/{{context.patientId}}\ndefine:\n  adult: "%pt.birthDate.ageInYears() >= 18"\n',
    };
    const { ruleSet, problems } = compileContent([
      service('patient-view', 'include: [common]\ndefine:\n  both: "%adult and true"\n'),
      library,
      rule('when: "%both"\ncard: hello\nwith:\n  name: "%pt.id"\n'),
      card(),
    ]);
    expect(problems).toEqual([]);
    expect(ruleSet!.services.get('svc')!.prefetch).toEqual({ pt: 'Patient/{{context.patientId}}' });
    expect(ruleSet!.services.get('svc')!.defines.map((d) => d.name)).toEqual(['adult', 'both']);
    expect(ruleSet!.counts.libraries).toBe(1);

    expect(problems_([service('patient-view', 'include: [comon]\n'), library])).toEqual([
      "rules/libraries/common.yaml:1:1: warning: library 'common' is not included by any service, so its expressions are not checked",
      "rules/svc/service.yaml:4:11: library 'comon' does not exist in rules/libraries/ (did you mean 'common'?)",
    ]);
    expect(problems_([service('patient-view', 'include: [common]\ndefine:\n  adult: "true"\n'), library])).toEqual([
      "rules/svc/service.yaml:6:3: define 'adult' is already defined in rules/libraries/common.yaml",
    ]);
  });

  it('a rule calling mme() without its data tables is an error at the call; a malformed table is an error in the table', () => {
    expect(problems([service(), rule('when: "%draftOrders.entry.resource.mme() >= 50"\ncard: hello\nwith:\n  name: "\'x\'"\n'), card()])).toEqual([
      'rules/svc/r.yaml:4:36: mme() needs the data tables rules/data/opioid-drug-strengths.json and rules/data/mme-conversion-factors.json, which are missing',
    ]);
    expect(problems([{ path: 'rules/data/mme-conversion-factors.json', text: '{"factors": []}' }])).toEqual([
      "rules/data/mme-conversion-factors.json:1:1: data table 'mme-conversion-factors': expected 'transdermalFentanyl': { rxcui, doseFormCode, strengthUnit, factorPerMcgPerHour }",
    ]);
  });

  it('a mistake in a library included by several services is reported once', () => {
    const library = { path: 'rules/libraries/common.yaml', text: 'define:\n  adult: "%patientId.exist()"\n' };
    const second = { path: 'rules/svc2/service.yaml', text: 'hook: patient-view\ntitle: Svc 2\ndescription: Another\ninclude: [common]\n' };
    expect(problems_([service('patient-view', 'include: [common]\n'), second, library])).toEqual([
      "rules/libraries/common.yaml:2:22: unknown function 'exist' (did you mean 'exists'?)",
    ]);
  });

  it('with any error there is no rule set (nothing is half-loaded)', () => {
    const result = compileContent([service(), rule('when: "true"\ncard: nope\n'), card()]);
    expect(result.ruleSet).toBeUndefined();
  });
});
