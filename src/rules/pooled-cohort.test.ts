import { describe, expect, it } from 'vitest';
import { pooledCohortRisk } from './pooled-cohort.ts';

// The guideline's own worked example (2013 ACC/AHA risk assessment guideline, Table A): age 55,
// total cholesterol 213 mg/dL, HDL 50 mg/dL, untreated systolic 120 mm Hg, non-smoker, no diabetes.
const example = { age: 55, totalCholesterol: 213, hdl: 50, systolic: 120, treatedForHypertension: false, diabetic: false, smoker: false };

describe('pooledCohortRisk', () => {
  // The table rounds each individual sum to two decimals before exponentiating (60.69 for white
  // men), so its 5.3 % is 5.38 % computed in full; hence within 0.1 rather than equal.
  it('reproduces the guideline example for each sex and race', () => {
    const within = (actual: number | undefined, published: number) => expect(Math.abs(actual! - published)).toBeLessThanOrEqual(0.1 + 1e-9);
    within(pooledCohortRisk({ ...example, sex: 'female', black: false }), 2.1);
    within(pooledCohortRisk({ ...example, sex: 'female', black: true }), 3.0);
    within(pooledCohortRisk({ ...example, sex: 'male', black: false }), 5.3);
    within(pooledCohortRisk({ ...example, sex: 'male', black: true }), 6.1);
    expect(pooledCohortRisk({ ...example, sex: 'female', black: false })).toBe(2.1);
  });

  it('rises with smoking, diabetes and treated blood pressure', () => {
    const base = pooledCohortRisk({ ...example, sex: 'male', black: false })!;
    expect(pooledCohortRisk({ ...example, sex: 'male', black: false, smoker: true })!).toBeGreaterThan(base);
    expect(pooledCohortRisk({ ...example, sex: 'male', black: false, diabetic: true })!).toBeGreaterThan(base);
    expect(pooledCohortRisk({ ...example, sex: 'male', black: false, treatedForHypertension: true })!).toBeGreaterThan(base);
  });

  it('gives no estimate outside the equations range', () => {
    expect(pooledCohortRisk({ ...example, age: 39, sex: 'male', black: false })).toBeUndefined();
    expect(pooledCohortRisk({ ...example, age: 80, sex: 'male', black: false })).toBeUndefined();
    expect(pooledCohortRisk({ ...example, hdl: 10, sex: 'male', black: false })).toBeUndefined();
  });
});
