/**
 * The 2013 ACC/AHA Pooled Cohort Equations: 10-year risk of a first hard ASCVD event (nonfatal
 * myocardial infarction, coronary death, or stroke) for adults aged 40 to 79 without ASCVD.
 *
 * Coefficients, baseline survival and mean sums from Goff DC Jr et al., 2013 ACC/AHA Guideline on
 * the Assessment of Cardiovascular Risk, Circulation 2014;129(suppl 2):S49-S73, Table A. The
 * guideline applies the white equations to other races (with the caveat that they may misjudge
 * risk). USPSTF 2022 uses this estimate for its statin recommendation.
 */
export interface PooledCohortInput {
  sex: 'female' | 'male';
  /** African American: the guideline's race-specific equations. */
  black: boolean;
  age: number;
  /** mg/dL */
  totalCholesterol: number;
  /** mg/dL */
  hdl: number;
  /** mm Hg */
  systolic: number;
  treatedForHypertension: boolean;
  diabetic: boolean;
  smoker: boolean;
}

interface Equation {
  lnAge: number;
  lnAgeSquared?: number;
  lnTotalChol: number;
  lnAgeLnTotalChol?: number;
  lnHdl: number;
  lnAgeLnHdl?: number;
  lnTreatedSbp: number;
  lnAgeLnTreatedSbp?: number;
  lnUntreatedSbp: number;
  lnAgeLnUntreatedSbp?: number;
  smoker: number;
  lnAgeSmoker?: number;
  diabetes: number;
  baselineSurvival: number;
  meanSum: number;
}

const EQUATIONS: Record<'whiteFemale' | 'blackFemale' | 'whiteMale' | 'blackMale', Equation> = {
  whiteFemale: {
    lnAge: -29.799, lnAgeSquared: 4.884, lnTotalChol: 13.54, lnAgeLnTotalChol: -3.114, lnHdl: -13.578, lnAgeLnHdl: 3.149,
    lnTreatedSbp: 2.019, lnUntreatedSbp: 1.957, smoker: 7.574, lnAgeSmoker: -1.665, diabetes: 0.661,
    baselineSurvival: 0.9665, meanSum: -29.18,
  },
  blackFemale: {
    lnAge: 17.114, lnTotalChol: 0.94, lnHdl: -18.92, lnAgeLnHdl: 4.475, lnTreatedSbp: 29.291, lnAgeLnTreatedSbp: -6.432,
    lnUntreatedSbp: 27.82, lnAgeLnUntreatedSbp: -6.087, smoker: 0.691, diabetes: 0.874,
    baselineSurvival: 0.9533, meanSum: 86.61,
  },
  whiteMale: {
    lnAge: 12.344, lnTotalChol: 11.853, lnAgeLnTotalChol: -2.664, lnHdl: -7.99, lnAgeLnHdl: 1.769,
    lnTreatedSbp: 1.797, lnUntreatedSbp: 1.764, smoker: 7.837, lnAgeSmoker: -1.795, diabetes: 0.658,
    baselineSurvival: 0.9144, meanSum: 61.18,
  },
  blackMale: {
    lnAge: 2.469, lnTotalChol: 0.302, lnHdl: -0.307, lnTreatedSbp: 1.916, lnUntreatedSbp: 1.809, smoker: 0.549, diabetes: 0.645,
    baselineSurvival: 0.8954, meanSum: 19.54,
  },
};

/**
 * 10-year risk in percent (one decimal), or undefined outside the equations' range (age 40-79,
 * total cholesterol 130-320 mg/dL, HDL 20-100 mg/dL, systolic 90-200 mm Hg, as the ACC/AHA
 * calculator accepts).
 */
export function pooledCohortRisk(p: PooledCohortInput): number | undefined {
  if (p.age < 40 || p.age > 79) return undefined;
  if (p.totalCholesterol < 130 || p.totalCholesterol > 320 || p.hdl < 20 || p.hdl > 100 || p.systolic < 90 || p.systolic > 200) {
    return undefined;
  }
  const e = EQUATIONS[`${p.black ? 'black' : 'white'}${p.sex === 'female' ? 'Female' : 'Male'}`];
  const lnAge = Math.log(p.age);
  const lnTc = Math.log(p.totalCholesterol);
  const lnHdl = Math.log(p.hdl);
  const lnSbp = Math.log(p.systolic);
  const smoker = p.smoker ? 1 : 0;
  let sum =
    e.lnAge * lnAge +
    (e.lnAgeSquared ?? 0) * lnAge * lnAge +
    e.lnTotalChol * lnTc +
    (e.lnAgeLnTotalChol ?? 0) * lnAge * lnTc +
    e.lnHdl * lnHdl +
    (e.lnAgeLnHdl ?? 0) * lnAge * lnHdl +
    e.smoker * smoker +
    (e.lnAgeSmoker ?? 0) * lnAge * smoker +
    e.diabetes * (p.diabetic ? 1 : 0);
  sum += p.treatedForHypertension
    ? e.lnTreatedSbp * lnSbp + (e.lnAgeLnTreatedSbp ?? 0) * lnAge * lnSbp
    : e.lnUntreatedSbp * lnSbp + (e.lnAgeLnUntreatedSbp ?? 0) * lnAge * lnSbp;
  const risk = 1 - e.baselineSurvival ** Math.exp(sum - e.meanSum);
  return Math.round(risk * 1000) / 10;
}
