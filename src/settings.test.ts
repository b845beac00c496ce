/** Settings shared by both shells: each malformed value is refused naming its variable. */
import { describe, expect, it } from 'vitest';
import { serviceConfigFromVars } from './settings.ts';

describe('CDS_CORS_ORIGINS', () => {
  it('takes a comma-separated list of origins, or *', () => {
    expect(serviceConfigFromVars({}).corsOrigins).toEqual(['*']);
    expect(serviceConfigFromVars({ CDS_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(serviceConfigFromVars({ CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org, http://localhost:8080' }).corsOrigins).toEqual([
      'https://sandbox.cds-hooks.org',
      'http://localhost:8080',
    ]);
  });

  it.each([
    ['not-an-origin'],
    ['sandbox.cds-hooks.org'],
    ['https://sandbox.cds-hooks.org/'],
    ['https://sandbox.cds-hooks.org/path'],
    ['ftp://files.example.org'],
    ['https://a.example.org,,nope'],
  ])('refuses %j naming the variable', (value) => {
    expect(() => serviceConfigFromVars({ CDS_CORS_ORIGINS: value })).toThrow(
      /^CDS_CORS_ORIGINS=".*": '.*' is not an origin; expected \* or comma-separated origins such as https:\/\/sandbox\.cds-hooks\.org \(scheme, host and port, no path\)$/,
    );
  });
});
