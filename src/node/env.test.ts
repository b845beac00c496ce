import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from './env.ts';

describe('CDS_WORKER_YOUNG_GENERATION_MB', () => {
  it('is 64 MB unless set', () => {
    expect(settingsFromEnv({}).workerYoungGenerationMb).toBe(64);
    expect(settingsFromEnv({ CDS_WORKER_YOUNG_GENERATION_MB: '16' }).workerYoungGenerationMb).toBe(16);
  });

  it('refuses what is not a whole number of MB from 4 to 4096, naming the variable', () => {
    for (const bad of ['abc', '2', '8.5', '5000']) {
      expect(() => settingsFromEnv({ CDS_WORKER_YOUNG_GENERATION_MB: bad })).toThrow(`CDS_WORKER_YOUNG_GENERATION_MB="${bad}": expected a whole number from 4 to 4096`);
    }
  });
});
