import { describe, expect, it } from 'vitest';
import { HttpError } from '../protocol/errors.ts';
import { compileContent, type CompiledService } from '../rules/compile.ts';
import { prefetchKeysByRule } from '../rules/dependencies.ts';
import { formatProblem, type SourceFile } from '../rules/source.ts';
import { applyAvailability, EMPTY_SEARCH, withUncheckedNote } from './availability.ts';

const card = { path: 'cards/c.yaml', text: 'summary: "S"\nindicator: info\nsource:\n  label: Test\n' };
const rule = (id: string, body: string) => ({
  path: `rules/svc/${id}.yaml`,
  text: `id: ${id}\ntitle: ${id}\nreferences: [{ label: T, url: "https://example.org" }]\ncard: c\n${body}`,
});

/**
 * A library reads encounters (exclusion data) and conditions; the service adds procedures.
 * - uses-library: reads conditions through two levels of library defines
 * - uses-procedures: reads procedures through its own define
 * - uses-encounters: reads encounters through a service define that reads a library define
 * - reads-nothing: reads only the context
 */
function compile(extraService = '', extraLibrary = ''): CompiledService {
  const files: SourceFile[] = [
    {
      path: 'rules/libraries/lib.yaml',
      text: `prefetch:\n  conditions: Condition?patient={{context.patientId}}\n  encounters: Encounter?patient={{context.patientId}}\n${extraLibrary}define:\n  allConditions: "%conditions.entry.resource"\n  activeConditions: "%allConditions.where(clinicalStatus.exists())"\n  recentEncounters: "%encounters.entry.resource"\n`,
    },
    {
      path: 'rules/svc/service.yaml',
      text: `hook: patient-view\ntitle: Svc\ndescription: d\ninclude: [lib]\nprefetch:\n  patient: Patient/{{context.patientId}}\n  procedures: Procedure?patient={{context.patientId}}\n${extraService}define:\n  excluded: "%recentEncounters.exists()"\n`,
    },
    rule('uses-library', 'when: "%activeConditions.exists()"\n'),
    rule('uses-procedures', 'define:\n  done: "%procedures.entry.exists()"\nwhen:\n  not: "%done"\n'),
    rule('uses-encounters', 'when:\n  all:\n    - "%patient.exists()"\n    - not: "%excluded"\n'),
    rule('reads-nothing', 'when: "%patientId.exists()"\n'),
    card,
  ];
  const { ruleSet, problems } = compileContent(files);
  if (!ruleSet) throw new Error(problems.map(formatProblem).join('\n'));
  return ruleSet.services.get('svc')!;
}

const unavailable = (...keys: string[]) => keys.map((key) => ({ key, why: 'could not be fetched: FHIR server answered 404' }));

describe('prefetchKeysByRule', () => {
  it('follows rule, service and library defines to the prefetch keys each rule reads', () => {
    const keys = prefetchKeysByRule(compile());
    expect(Object.fromEntries([...keys].map(([rule, set]) => [rule, [...set].sort()]))).toEqual({
      'uses-library': ['conditions'],
      'uses-procedures': ['procedures'],
      'uses-encounters': ['encounters', 'patient'],
      'reads-nothing': [],
    });
  });
});

describe('applyAvailability', () => {
  it('leaves out only the rules that read an unavailable key (default skip)', () => {
    const service = compile();
    const result = applyAvailability(service, {}, unavailable('procedures'));
    expect(result.skipped).toEqual([{ rule: 'uses-procedures', reason: 'prefetch-unavailable', prefetch: ['procedures'] }]);
    expect(result.runnable.rules.map((r) => r.id).sort()).toEqual(['reads-nothing', 'uses-encounters', 'uses-library']);
  });

  it('treats an `empty` key as an empty searchset and notes it for the rules that read it', () => {
    const service = compile('', 'ifUnavailable:\n  encounters: empty\n');
    const result = applyAvailability(service, { conditions: null }, unavailable('encounters'));
    expect(result.skipped).toEqual([]);
    expect(result.values.encounters).toEqual(EMPTY_SEARCH);
    expect(result.runnable.rules).toHaveLength(4);
    expect([...result.assumedEmpty]).toEqual([['uses-encounters', ['encounters']]]);
  });

  it('treats an `empty` read as null (nothing there)', () => {
    const service = compile('ifUnavailable:\n  patient: empty\n');
    expect(applyAvailability(service, {}, unavailable('patient')).values).toEqual({ patient: null });
  });

  it('answers 412 naming the key when it is `fail`', () => {
    const service = compile('ifUnavailable:\n  procedures: fail\n');
    const error = catchError(() => applyAvailability(service, {}, unavailable('procedures', 'encounters')));
    expect(error.status).toBe(412);
    expect(error.problems).toEqual([{ field: 'prefetch.procedures', message: 'could not be fetched: FHIR server answered 404, and is required by this service', code: 'incomplete' }]);
  });

  it('answers 412 when no rule is left to run', () => {
    const service = compile();
    const error = catchError(() => applyAvailability({ ...service, rules: service.rules.filter((r) => r.id === 'uses-procedures') }, {}, unavailable('procedures')));
    expect(error.status).toBe(412);
    expect(error.problems.map((p) => p.field)).toEqual(['prefetch.procedures']);
  });

  it('changes nothing when every key was had', () => {
    const service = compile();
    const values = { patient: { resourceType: 'Patient' } };
    expect(applyAvailability(service, values, [])).toEqual({ values, runnable: service, skipped: [], assumedEmpty: new Map() });
  });
});

describe('ifUnavailable in content files', () => {
  const problemsOf = (files: SourceFile[]) => compileContent(files).problems.map(formatProblem);
  it('must name a prefetch key of the same file, with a known meaning', () => {
    const service = (extra: string) => ({ path: 'rules/svc/service.yaml', text: `hook: patient-view\ntitle: Svc\ndescription: d\nprefetch:\n  patient: Patient/{{context.patientId}}\n${extra}` });
    const ok = rule('r', 'when: "%patient.exists()"\n');
    expect(problemsOf([service('ifUnavailable:\n  patien: empty\n'), ok, card])).toEqual([
      "rules/svc/service.yaml:7:3: ifUnavailable names 'patien', which is not a prefetch key of this file (did you mean 'patient'?)",
    ]);
    expect(problemsOf([service('ifUnavailable:\n  patient: ignore\n'), ok, card])[0]).toMatch(/^rules\/svc\/service\.yaml:7:12: .*must be one of skip, empty, fail/);
  });
});

function catchError(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('withUncheckedNote', () => {
  it('appends what was not checked to the detail', () => {
    const card = { uuid: 'u', summary: 's', indicator: 'info' as const, source: { label: 'x' }, detail: 'Body.' };
    expect(withUncheckedNote(card, ['encounters']).detail).toBe('Body.\n\nNot checked: encounters (the EHR could not provide it; treated as none on record).');
  });
});
