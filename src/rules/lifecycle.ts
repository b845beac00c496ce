/** A rule file's lifecycle fields as the pipeline reads them (status, rollout, approval); versions are stamped after compilation. */
import type { CompiledRule } from './compiled.ts';
import type { RuleFile, RuleStatus } from './schema.ts';

export function lifecycle(rule: RuleFile): Pick<CompiledRule, 'enabled' | 'status' | 'rollout' | 'approval' | 'authorVersion' | 'version' | 'sources'> {
  const status: RuleStatus = rule.status ?? (rule.enabled === false ? 'retired' : 'active');
  return {
    enabled: status !== 'retired',
    status,
    ...(rule.rollout ? { rollout: { percent: Number(rule.rollout.slice(0, -1)), by: rule.rolloutBy ?? 'patient' } } : {}),
    ...(rule.approvedBy && rule.approvedOn ? { approval: { by: rule.approvedBy, on: rule.approvedOn, ...(rule.review ? { review: rule.review } : {}) } } : {}),
    ...(rule.version ? { authorVersion: rule.version } : {}),
    version: '',
    sources: [],
  };
}
