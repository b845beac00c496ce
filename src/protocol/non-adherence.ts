/**
 * HL7 Non-Adherence Reason Codes: the code system the CDS Hooks 3.0 ballot suggests for card
 * `overrideReasons` ("Standardized non-adherence reasons could enable cross-organization
 * analytics"). Copied from HL7/cds-hooks at fb10ca7 (2026-06-24),
 * input/vocabulary/CodeSystem-non-adherence-reason-codes.json (the repository is Apache-2.0; concepts
 * from AHRQ CDSiC, "Approaches to Standardizing Override Reasons for Patient-Centered Clinical
 * Decision Support", 2025): every concept with its display and category, as published.
 */
export const NON_ADHERENCE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes';

/** The service's own override reasons, where no HL7 concept fits a card's reason. */
export const PROJECT_OVERRIDE_SYSTEM = 'urn:cds-rules:override-reason';

export interface NonAdherenceConcept {
  code: string;
  display: string;
  /** The category (a top-level concept) it is grouped under; absent for a category. */
  category?: string;
}

const CONCEPTS: readonly (readonly [code: string, display: string, category: string | undefined])[] = [
  ['cds-not-applicable', "PC CDS does not apply to patient", undefined],
  ['patient-ineligible', "Patient does not meet eligibility for recommended action", 'cds-not-applicable'],
  ['indication-order-exists', "Patient has indication/order for intended action", 'cds-not-applicable'],
  ['action-completed', "Recommended action was already completed", 'cds-not-applicable'],
  ['action-unsuccessful', "Recommended action was previously unsuccessful", 'cds-not-applicable'],
  ['action-performed-no-adverse-effect', "Intended action was performed previously without adverse effect", 'cds-not-applicable'],
  ['action-not-priority', "Recommended action is not relevant or a priority in current state of health", 'cds-not-applicable'],
  ['cds-suboptimal-context', "PC CDS delivered in suboptimal context", undefined],
  ['limited-time', "Could not address recommended action due to limited time", 'cds-suboptimal-context'],
  ['wrong-time-workflow', "PC CDS delivered at wrong time in workflow or patient lifecycle", 'cds-suboptimal-context'],
  ['inappropriate-recipient', "PC CDS delivered to inappropriate recipient/role", 'cds-suboptimal-context'],
  ['need-more-info', "Could not address recommended action due to need for more information/pending results/pending consult", 'cds-suboptimal-context'],
  ['recipient-disagrees-evidence', "Recipient disagrees with recommendation because of issues with the evidence", undefined],
  ['does-not-align-latest-evidence', "Recommended action does not align with the latest evidence", 'recipient-disagrees-evidence'],
  ['expert-contradicts', "Advice from expert contradicts the recommended action", 'recipient-disagrees-evidence'],
  ['policy-contradicts', "Institutional policy/guideline contradicts the recommended action", 'recipient-disagrees-evidence'],
  ['recipient-does-not-trust', "Recipient does not agree with or trust the recommended action", 'recipient-disagrees-evidence'],
  ['recipient-concerns-outcomes', "Recipient has concerns regarding potential health outcomes", undefined],
  ['risk-benefit-ratio', "Recipient assessment of risk/benefit ratio", 'recipient-concerns-outcomes'],
  ['mitigate-risk-negative-outcome', "Action taken to mitigate risk of negative outcome", 'recipient-concerns-outcomes'],
  ['likely-negative-health-outcomes', "Recommended action likely to have negative health outcomes", 'recipient-concerns-outcomes'],
  ['patient-contraindication', "Patient has contraindication to recommended action", 'recipient-concerns-outcomes'],
  ['does-not-align-preferences', "Recommendation does not align with patient preferences or values", undefined],
  ['patient-fears-discomfort', "Patient fears discomfort from complying with recommended action", 'does-not-align-preferences'],
  ['patient-does-not-want-change', "Patient does not want to change behavior or believes the change is unnecessary", 'does-not-align-preferences'],
  ['cultural-religious-reason', "Patient has a cultural or religious reason for not following recommended action", 'does-not-align-preferences'],
  ['prefers-alternative', "Patient prefers an alternative approach or treatment", 'does-not-align-preferences'],
  ['patient-refuses', "Patient refuses/declines (no context given)*", 'does-not-align-preferences'],
  ['not-convenient-feasible', "Recommendation is not convenient or feasible", undefined],
  ['inadequate-support', "Patient has inadequate caregiver/social support", 'not-convenient-feasible'],
  ['service-not-available', "Treatment or service is not practically available", 'not-convenient-feasible'],
  ['implementation-challenges', "Recommended action cannot be implemented due to technology/challenges", 'not-convenient-feasible'],
  ['too-costly-uncovered', "Recommended action is too costly or not covered by insurance", 'not-convenient-feasible'],
  ['recipient-does-not-understand', "Recipient does not understand the recommended action or know how to perform the recommended action", 'not-convenient-feasible'],
  ['comorbidity-disability', "Patient has co-morbidity or disability that hinders them from completing recommended action", 'not-convenient-feasible'],
];

export const NON_ADHERENCE: ReadonlyMap<string, NonAdherenceConcept> = new Map(
  CONCEPTS.map(([code, display, category]) => [code, { code, display, ...(category ? { category } : {}) }]),
);

/**
 * The project's override reason codes (`urn:cds-rules:override-reason`, in the shipped cards
 * since before the ballot) and the HL7 concept each one is a case of, so feedback recorded with
 * either code system counts under one concept in the figures. A code with no fitting concept is
 * left out (its feedback counts under no HL7 concept).
 */
export const PROJECT_REASON_CONCEPT: Readonly<Record<string, string>> = {
  'patient-declined': 'patient-refuses',
  'benefit-outweighs-risk': 'risk-benefit-ratio',
  'risks-outweigh-benefits': 'risk-benefit-ratio',
  'palliative-care': 'patient-ineligible',
  'limited-life-expectancy': 'action-not-priority',
  'done-elsewhere': 'action-completed',
  'tested-elsewhere': 'action-completed',
  'assessment-done': 'action-completed',
  'already-addressed': 'action-completed',
  'treated-elsewhere': 'indication-order-exists',
  'naloxone-elsewhere': 'indication-order-exists',
  'gastroprotection-elsewhere': 'indication-order-exists',
  'tolerated-since': 'action-performed-no-adverse-effect',
  'specialist-advice': 'expert-contradicts',
  'pdmp-unavailable': 'implementation-challenges',
  'follow-up-difficult': 'service-not-available',
  'statin-intolerance': 'patient-contraindication',
  'risk-below-threshold': 'patient-ineligible',
  'diagnosis-not-current': 'patient-ineligible',
  'assessment-scheduled': 'need-more-info',
  'results-expected': 'cds-not-applicable',
  'egfr-outdated': 'patient-ineligible',
  'replacing-therapy': 'indication-order-exists',
  'other-prescriber': 'indication-order-exists',
};

/** The HL7 concept a recorded override reason is a case of, if any. */
export function nonAdherenceConcept(system: string | null | undefined, code: string | null | undefined): NonAdherenceConcept | undefined {
  if (!code) return undefined;
  if (system === NON_ADHERENCE_SYSTEM) return NON_ADHERENCE.get(code);
  // The CDS Hooks Sandbox sends reasons without a system; a project code is still known.
  if (system === PROJECT_OVERRIDE_SYSTEM || !system) {
    const mapped = PROJECT_REASON_CONCEPT[code];
    return mapped ? NON_ADHERENCE.get(mapped) : !system ? NON_ADHERENCE.get(code) : undefined;
  }
  return undefined;
}
