import { describe, expect, it } from 'vitest';
import { serviceConfigFromVars } from '../settings.ts';
import { findAdminToken } from './admin.ts';

const SHA = 'a'.repeat(64);

describe('CDS_ADMIN_TOKENS', () => {
  it('reads name, role and hash', () => {
    const config = serviceConfigFromVars({ CDS_ADMIN_TOKENS: JSON.stringify([{ name: 'ops', role: 'admin', sha256: SHA }]) });
    expect(config.adminTokens).toEqual([{ name: 'ops', role: 'admin', sha256: SHA }]);
  });

  it('refuses a malformed list naming the entry and field', () => {
    const bad = (value: unknown) => () => serviceConfigFromVars({ CDS_ADMIN_TOKENS: typeof value === 'string' ? value : JSON.stringify(value) });
    expect(bad('not json')).toThrow('CDS_ADMIN_TOKENS: expected JSON, a list of {"name", "role", "sha256"}');
    expect(bad([{ name: 'ops', role: 'root', sha256: SHA }])).toThrow('CDS_ADMIN_TOKENS: [0].role: must be one of viewer, author, admin');
    expect(bad([{ name: 'ops', role: 'admin', sha256: 'secret' }])).toThrow(/CDS_ADMIN_TOKENS: \[0\]\.sha256: the lower-case hex SHA-256/);
    expect(bad([{ name: 'ops', role: 'admin', sha256: SHA }, { name: 'ops', role: 'viewer', sha256: 'b'.repeat(64) }])).toThrow("CDS_ADMIN_TOKENS: [1].name: 'ops' is listed twice");
  });
});

describe('findAdminToken', () => {
  it('finds a token by the SHA-256 of its secret, and nothing for another secret', async () => {
    // SHA-256("hello")
    const token = { name: 'v', role: 'viewer' as const, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' };
    expect(await findAdminToken([token], 'hello')).toEqual(token);
    expect(await findAdminToken([token], 'hello ')).toBeUndefined();
  });
});
