import { describe, expect, it } from 'vitest';
import type { HookRequest } from '../protocol/request.ts';
import { RunAhead } from './run-ahead.ts';

const draftOrders = (id: string) => ({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', id, status: 'draft' } }] });
const request = (hook: string, patientId = 'p1', orders = 'o1'): HookRequest =>
  ({ hook, hookInstance: crypto.randomUUID(), fhirServer: 'https://fhir.example.org', context: { userId: 'Practitioner/u', patientId, draftOrders: draftOrders(orders) } }) as HookRequest;
const at = new Date('2026-01-01T00:00:00Z');

describe('RunAhead', () => {
  it('never shares kept results between clients (JWT iss)', () => {
    const runAhead = new RunAhead(60_000);
    runAhead.session(request('order-select'), 'https://ehr-a.example.org', at)!.keep('Q', { v: 1 });
    expect(runAhead.session(request('order-sign'), 'https://ehr-a.example.org', at)!.lookup('Q')).toEqual({ value: { v: 1 } });
    expect(runAhead.session(request('order-sign'), 'https://ehr-b.example.org', at)!.lookup('Q')).toBeUndefined();
  });

  it('hands out a copy: a sign call that changes its data does not change what is kept', () => {
    const runAhead = new RunAhead(60_000);
    runAhead.session(request('order-select'), undefined, at)!.keep('Q', { v: [1] });
    (runAhead.session(request('order-sign'), undefined, at)!.lookup('Q')!.value as { v: number[] }).v.push(2);
    expect(runAhead.session(request('order-sign'), undefined, at)!.lookup('Q')).toEqual({ value: { v: [1] } });
  });

  it('orders compare as canonical JSON without meta: key order and meta do not matter', () => {
    const runAhead = new RunAhead(60_000);
    runAhead.session(request('order-select'), undefined, at)!.keep('Q', 1);
    const reordered = request('order-sign');
    reordered.context.draftOrders = { entry: [{ resource: { status: 'draft', id: 'o1', resourceType: 'MedicationRequest', meta: { versionId: '2' } } }], resourceType: 'Bundle' };
    expect(runAhead.session(reordered, undefined, at)!.lookup('Q')).toEqual({ value: 1 });
  });

  it('keeps at most maxEntries contexts, dropping the oldest', () => {
    const runAhead = new RunAhead(60_000, 2);
    for (const patient of ['p1', 'p2', 'p3']) runAhead.session(request('order-select', patient), undefined, at)!.keep('Q', patient);
    expect(runAhead.session(request('order-sign', 'p1'), undefined, at)!.lookup('Q')).toBeUndefined();
    expect(runAhead.session(request('order-sign', 'p3'), undefined, at)!.lookup('Q')).toEqual({ value: 'p3' });
  });

  it('is off with a zero window and for hooks other than order-select and order-sign', () => {
    expect(new RunAhead(0).session(request('order-select'), undefined, at)).toBeUndefined();
    expect(new RunAhead(60_000).session(request('patient-view'), undefined, at)).toBeUndefined();
  });

  it('a sign call whose clock is before the kept entry (a clock step back) misses', () => {
    const runAhead = new RunAhead(60_000);
    runAhead.session(request('order-select'), undefined, at)!.keep('Q', 1);
    expect(runAhead.session(request('order-sign'), undefined, new Date(at.getTime() - 1))!.lookup('Q')).toBeUndefined();
  });
});
