/**
 * Hook calls answered since start (per process, or per isolate on Workers), by outcome and by
 * why an answer was degraded, for `GET /health`: an operator sees at a glance that a FHIR server
 * stopped serving some type, or that rules fail, without reading the logs.
 */
import type { FailedRule, SkippedRule } from '../protocol/degraded.ts';

export interface CallCountsSnapshot {
  ok: number;
  degraded: number;
  rejected: number;
  /** Degraded answers by cause; one answer can count under several. */
  degradedBy: { 'prefetch-unavailable': number; 'scope-not-granted': number; budget: number; deadline: number; 'rule-failed': number };
  /** Refusals by status (400, 412, ...). */
  rejectedBy: Record<string, number>;
}

export class CallCounts {
  private readonly counts: CallCountsSnapshot = {
    ok: 0,
    degraded: 0,
    rejected: 0,
    degradedBy: { 'prefetch-unavailable': 0, 'scope-not-granted': 0, budget: 0, deadline: 0, 'rule-failed': 0 },
    rejectedBy: {},
  };

  answered(result: { skipped: readonly SkippedRule[]; failed: readonly FailedRule[] }): void {
    const reasons = new Set<keyof CallCountsSnapshot['degradedBy']>(result.skipped.map((s) => s.reason));
    if (result.failed.length > 0) reasons.add('rule-failed');
    if (reasons.size === 0) {
      this.counts.ok++;
      return;
    }
    this.counts.degraded++;
    for (const reason of reasons) this.counts.degradedBy[reason]++;
  }

  rejected(status: number): void {
    this.counts.rejected++;
    this.counts.rejectedBy[status] = (this.counts.rejectedBy[status] ?? 0) + 1;
  }

  snapshot(): CallCountsSnapshot {
    return structuredClone(this.counts);
  }
}
