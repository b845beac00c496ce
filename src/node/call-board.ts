/**
 * A worker's board: what an evaluation worker tells the main thread about the call it runs, in
 * shared memory instead of messages. The main thread reads it only to watch the call's deadline
 * and, should it cut the call, to answer and record it: when the body was parsed and who the call
 * is for, when it went to the FHIR server, and each rule that fired or failed (its card as
 * rendered). A message for each would cost both threads a structured clone and the main thread a
 * wake-up (measured: 20-50 µs a message at the median, hundreds when the wake-up preempts the
 * worker on a busy core), for news it almost never needs. What a worker stuck in one expression
 * wrote before is on the board all the same.
 *
 * One board per worker (a worker runs one call at a time), cleared by the main thread before each
 * call. The worker writes and then publishes with an atomic store; the main thread loads the
 * published state atomically before it reads what it covers.
 *
 * @example
 * // worker: once parsed
 * board.parsed({ hookInstance, patientId, userId, encounterId });
 * if (!board.say({ rule: 'warfarin-nsaid', card })) post({ type: 'outcome', ... }); // board full
 * // main thread, at the deadline
 * board.said(); // [{ rule: 'warfarin-nsaid', card }]
 */
import type { CallerFields, FinishedRule } from './call-messages.ts';

/** Room for `who`: four fields of at most 200 characters, as JSON (6 bytes for an escaped one). */
const WHO_BYTES = 8192;
/** Room for the rules said; past it a worker sends the rest as messages (`say` returns false). */
const SAID_BYTES = 256 * 1024;
const INSTANTS = 0; // Float64 x 2: parsed at, fetching since
const STATE = 16; // Int32 x 4: flags, who's length, said's length, (spare)
const WHO = 32;
const SAID = WHO + WHO_BYTES;
export const BOARD_BYTES = SAID + SAID_BYTES;

const PARSED = 1;
const FETCHING = 2;
const [FLAGS, WHO_LENGTH, SAID_LENGTH] = [0, 1, 2];

/**
 * An instant every thread of the process reads alike (ms since the epoch, sub-millisecond): each
 * thread's `performance.now()` counts from its own start.
 */
export const instant = (): number => performance.timeOrigin + performance.now();

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CallBoard {
  private readonly instants: Float64Array;
  private readonly state: Int32Array;
  private readonly who_: Uint8Array;
  private readonly said_: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BOARD_BYTES)) {
    this.instants = new Float64Array(buffer, INSTANTS, 2);
    this.state = new Int32Array(buffer, STATE, 4);
    this.who_ = new Uint8Array(buffer, WHO, WHO_BYTES);
    this.said_ = new Uint8Array(buffer, SAID, SAID_BYTES);
  }

  /** Main thread, before it hands the worker a call. */
  clear(): void {
    Atomics.store(this.state, WHO_LENGTH, 0);
    Atomics.store(this.state, SAID_LENGTH, 0);
    Atomics.store(this.state, FLAGS, 0);
  }

  // --- written by the worker ---

  /** The body is parsed: from now on the call has its evaluation budget. */
  parsed(who: CallerFields): void {
    const { written } = encoder.encodeInto(JSON.stringify(who), this.who_);
    this.state[WHO_LENGTH] = written;
    this.instants[0] = instant();
    Atomics.or(this.state, FLAGS, PARSED);
  }

  /** The call goes to the FHIR server (once): its deadline includes the prefetch timeout. */
  fetching(): void {
    this.instants[1] = instant();
    Atomics.or(this.state, FLAGS, FETCHING);
  }

  /** A rule that fired or failed; false when the board is full (send it some other way). */
  say(finished: FinishedRule): boolean {
    const used = this.state[SAID_LENGTH]!;
    const text = `${JSON.stringify(finished)}\n`;
    const { read, written } = encoder.encodeInto(text, this.said_.subarray(used));
    if (read < text.length) return false;
    Atomics.store(this.state, SAID_LENGTH, used + written);
    return true;
  }

  // --- read by the main thread ---

  /** When the body was parsed (an `instant()`), or undefined while it is not. */
  parsedAt(): number | undefined {
    return Atomics.load(this.state, FLAGS) & PARSED ? this.instants[0] : undefined;
  }

  /** When the call went to the FHIR server, or undefined if it has not. */
  fetchingSince(): number | undefined {
    return Atomics.load(this.state, FLAGS) & FETCHING ? this.instants[1] : undefined;
  }

  /** Who the call is for, once parsed. */
  who(): CallerFields | undefined {
    if (!(Atomics.load(this.state, FLAGS) & PARSED)) return undefined;
    return JSON.parse(decoder.decode(this.who_.slice(0, this.state[WHO_LENGTH]))) as CallerFields;
  }

  /** The rules said so far, in order. */
  said(): FinishedRule[] {
    const length = Atomics.load(this.state, SAID_LENGTH);
    if (length === 0) return [];
    return decoder
      .decode(this.said_.slice(0, length))
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FinishedRule);
  }
}
