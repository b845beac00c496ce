/**
 * Whether a fired rule's output reaches the EHR. A silent rule never does; an active rule with a
 * `rollout` share does for the patients (or users) whose stable bucket falls inside the share.
 * The bucket is a hash of the rule id and the patient (or user) id, so the same patient always
 * lands on the same side of one rule, and different rules split patients independently.
 */
import type { CompiledRule } from '../rules/compile.ts';
import { textHash } from '../rules/version.ts';

/** Buckets per rule: 10,000, so a share can be given to 0.01%. */
const BUCKETS = 10_000;

/** The bucket [0, 10000) of one id for one rule. */
export function rolloutBucket(ruleId: string, id: string): number {
  return Number.parseInt(textHash(`${ruleId}\u0000${id}`).slice(0, 8), 16) % BUCKETS;
}

/** True when the rule's card and actions go to the EHR for this call's context. */
export function isExposed(rule: Pick<CompiledRule, 'id' | 'status' | 'rollout'>, context: Record<string, unknown>): boolean {
  if (rule.status !== 'active') return false;
  if (!rule.rollout) return true;
  const id = context[rule.rollout.by === 'user' ? 'userId' : 'patientId'];
  // Without the id there is no stable side to put the call on: it stays silent.
  if (typeof id !== 'string') return false;
  return rolloutBucket(rule.id, id) < rule.rollout.percent * (BUCKETS / 100);
}
