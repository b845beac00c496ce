/**
 * fast-logic.ts against fhirpath.js itself: each expression, over every combination of variable
 * values (empty, true, false, numbers, two values, a string, a resource, not a list, not
 * defined), must give what fhirpath.js gives, or throw where fhirpath.js throws.
 */
import { describe, expect, it } from 'vitest';
import { fastLogic } from './fast-logic.ts';
import { createFhirPathCompiler } from './fhirpath.ts';
import { ValueSetIndex } from './valuesets.ts';

const plain = createFhirPathCompiler(new ValueSetIndex(), new Map(), { fastPaths: false });
const VALUES: Record<string, unknown> = {
  empty: [],
  true: [true],
  false: [false],
  forty: [40],
  decimal: [39.5],
  two: [true, false],
  text: ['yes'],
  otherText: ['maybe'],
  resource: [{ resourceType: 'Observation', id: 'o1', status: 'final' }],
  mixed: [true, 40],
  twoNumbers: [40, 41.5],
  notList: true,
  undefinedVar: undefined,
};

/** What a compiled expression gives, or the fact that it threw. */
function outcome(run: () => unknown[]): unknown {
  try {
    return run();
  } catch {
    return 'throws';
  }
}

function varsOf(assignment: Record<string, string>): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(assignment)) if (value !== 'undefinedVar') vars[name] = VALUES[value];
  return vars;
}

function* assignments(names: string[]): Generator<Record<string, string>> {
  if (names.length === 0) return yield {};
  for (const rest of assignments(names.slice(1))) for (const value of Object.keys(VALUES)) yield { [names[0]!]: value, ...rest };
}

const RUN_NATIVELY = [
  '%a.exists()',
  '%a.empty()',
  '%a',
  '%a.not()',
  '%a.exists().not()',
  '%a and %b',
  '%a or %b',
  '(%a | %b).exists()',
  '(%a | %b).empty()',
  '%a.exists() and (%b.exists() or %c.empty())',
  '(%a.exists() and %b) or (%c and %a.empty())',
  '%a >= 40',
  '%a < 39.5',
  '40 <= %a',
  '%a > 18 and %a <= 75 and (%b or %c.exists())',
  "%a in 'yes'",
  "%a in ('yes' | 'no' | 'unknown')",
  "iif(%a.exists(), %a in ('yes' | 'no'), {})",
  'iif(%a, %b, %c)',
  'iif(%a, %b.exists())',
  '%a.where($this).exists()',
  '%a.where($this).empty()',
  '%a.where($this >= 40).empty()',
  '%a.where(39.5 < $this).exists() or %b.where($this).exists()',
];

describe('logic over variables runs natively and gives what fhirpath.js gives', () => {
  for (const expression of RUN_NATIVELY) {
    it(expression, () => {
      const fallback = plain(expression);
      const native = fastLogic(expression, fallback);
      expect(native).toBeDefined();
      const names = [...new Set([...expression.matchAll(/%(\w+)/g)].map((m) => m[1]!))];
      for (const assignment of assignments(names)) {
        const vars = varsOf(assignment);
        expect(outcome(() => native!(vars)), JSON.stringify(assignment)).toEqual(outcome(() => fallback(vars)));
      }
    });
  }

  it('answers without fhirpath.js when the values are plain', () => {
    let fellBack = 0;
    const native = fastLogic('%a.exists() and (%b or %c >= 40)', () => [fellBack++])!;
    expect(native({ a: [1], b: [false], c: [40] })).toEqual([true]);
    expect(native({ a: [], b: [true], c: [] })).toEqual([false]);
    expect(native({ a: [1], b: [], c: [] })).toEqual([]);
    expect(fellBack).toBe(0);
    // A value it cannot judge exactly goes to fhirpath.js.
    expect(native({ a: [1], b: ['yes'], c: [40] })).toEqual([0]);
  });

  it('evaluates both sides of and/or (left first), as fhirpath.js does: a failing define fails the expression', () => {
    const read: string[] = [];
    const vars = new Proxy({} as Record<string, unknown>, {
      has: () => true,
      get: (_, name) => {
        read.push(String(name));
        if (name === 'broken') throw new Error('define failed');
        return [false];
      },
    });
    const expression = '%a and %broken';
    expect(() => fastLogic(expression, plain(expression))!(vars)).toThrow('define failed');
    expect(read.slice(0, 2)).toEqual(['a', 'broken']);
  });

  it('leaves every other kind of expression to fhirpath.js', () => {
    for (const expression of ['%a.exists(status = 1)', "%a = 'x'", '%a xor %b', '%a implies %b', '%a.first()', '%a | %b', "%a >= 5 'mg'", '%a >= -5', '%`a b`.exists()', '%a.where($this = 1).exists()', '%a.where($this.exists()).exists()', '%a.where($this).first()', '%a.count() > 1', "%a in ('x' | %b)", "%a in 'it\\'s'", 'iif(%a, %b, %c, %a)', "iif(%a, 'x', {})"]) {
      expect(fastLogic(expression, plain(expression)), expression).toBeUndefined();
    }
  });
});
