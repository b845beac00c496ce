import { describe, expect, it } from 'vitest';
import { CallBoard, instant } from './call-board.ts';

describe('CallBoard', () => {
  it('says nothing until the worker writes: not parsed, not fetching, nobody, no rules', () => {
    const board = new CallBoard();
    expect([board.parsedAt(), board.fetchingSince(), board.who(), board.said()]).toEqual([undefined, undefined, undefined, []]);
  });

  it('gives back who the call is for, even four fields of 200 characters that each escape to 6 bytes', () => {
    const board = new CallBoard();
    const worst = '\u0001'.repeat(200);
    const before = instant();
    board.parsed({ hookInstance: worst, patientId: '\ud800'.repeat(200), userId: 'Practitioner/é', encounterId: null });
    expect(board.who()).toEqual({ hookInstance: worst, patientId: '\ud800'.repeat(200), userId: 'Practitioner/é', encounterId: null });
    expect(board.parsedAt()).toBeGreaterThanOrEqual(before);
    expect(board.parsedAt()).toBeLessThanOrEqual(instant());
    expect(board.fetchingSince()).toBeUndefined();
  });

  it('the same memory read from a second view (as the main thread sees the worker write it)', () => {
    const worker = new CallBoard();
    const main = new CallBoard(worker.buffer);
    worker.fetching();
    expect(worker.say({ rule: 'a', card: { uuid: 'u', summary: 'line\nbreak', indicator: 'info', source: { label: 'x' } } })).toBe(true);
    expect(worker.say({ rule: 'b', error: 'fhirpath-error' })).toBe(true);
    expect(main.fetchingSince()).toBeLessThanOrEqual(instant());
    expect(main.said()).toEqual([{ rule: 'a', card: { uuid: 'u', summary: 'line\nbreak', indicator: 'info', source: { label: 'x' } } }, { rule: 'b', error: 'fhirpath-error' }]);
  });

  it('refuses a rule once full, keeping every one it took', () => {
    const board = new CallBoard();
    const big = { rule: 'r', card: { uuid: 'u', summary: 's', detail: 'x'.repeat(100_000), indicator: 'info' as const, source: { label: 'x' } } };
    expect([board.say(big), board.say(big), board.say(big)]).toEqual([true, true, false]);
    expect(board.said()).toHaveLength(2);
  });

  it('is blank again once cleared for the next call', () => {
    const board = new CallBoard();
    board.parsed({ hookInstance: 'h', patientId: null, userId: null, encounterId: null });
    board.fetching();
    board.say({ rule: 'a', error: 'fhirpath-error' });
    board.clear();
    expect([board.parsedAt(), board.fetchingSince(), board.who(), board.said()]).toEqual([undefined, undefined, undefined, []]);
  });
});
