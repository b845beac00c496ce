import { describe, expect, it } from 'vitest';
import { layer } from './variables.ts';

describe('layer', () => {
  const clock = Symbol('clock');
  const service = layer(undefined, { patientId: 'p1', [clock]: 'now', shadowed: ['service'] }, new Map([['age', () => [42]]]));

  it('answers its own values, lazy values and symbols, and passes other names down', () => {
    let computed = 0;
    const rule = layer(service, { shadowed: ['rule'] }, new Map([['adult', () => (computed++, [true])]]));
    expect(rule.adult).toEqual([true]);
    expect(rule.patientId).toBe('p1');
    expect(rule.age).toEqual([42]);
    expect((rule as Record<symbol, unknown>)[clock]).toBe('now');
    expect(rule.shadowed).toEqual(['rule']);
    expect(service.shadowed).toEqual(['service']);
    expect(rule.missing).toBeUndefined();
    // A lazy value runs at each read: memoising is its own job.
    void rule.adult;
    expect(computed).toBe(2);
  });

  it('knows which names it has (FHIRPath asks `name in vars` before reading one)', () => {
    const rule = layer(service, {}, new Map([['adult', () => [true]]]));
    expect(['adult' in rule, 'age' in rule, 'patientId' in rule, clock in rule, 'missing' in rule]).toEqual([true, true, true, true, false]);
    // A name beneath a lazy one is not computed by asking.
    expect('age' in layer(undefined, {})).toBe(false);
  });

  it('passes a lazy value its errors', () => {
    const rule = layer(undefined, {}, new Map([['broken', () => { throw new Error('define failed'); }]]));
    expect(() => rule.broken).toThrow('define failed');
  });
});
