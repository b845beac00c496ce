/**
 * Admin API authentication: configured bearer tokens, each with a name and a role, kept only as
 * SHA-256 hashes (CDS_ADMIN_TOKENS='[{"name":"ops","role":"admin","sha256":"<hex>"}]'; the hash
 * of a token is `printf %s "$TOKEN" | sha256sum`). Roles nest: viewer < author < admin.
 * - viewer: figures (stats, versions, metrics), never a patient or user id;
 * - author: also replay and the texts of rule versions;
 * - admin: also invocations (with patient and user ids) and the access audit.
 */
import { z } from 'zod';
import { parseSetting } from '../protocol/problems.ts';

export const ADMIN_ROLES = ['viewer', 'author', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export const adminTokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'a short name for the audit log: letters, digits, . _ @ -'),
  role: z.enum(ADMIN_ROLES, { error: `must be one of ${ADMIN_ROLES.join(', ')}` }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the lower-case hex SHA-256 of the token (printf %s "$TOKEN" | sha256sum)'),
});
export type AdminToken = z.infer<typeof adminTokenSchema>;

const adminTokensSchema = z.array(adminTokenSchema).superRefine((tokens, ctx) => {
  const names = new Set<string>();
  const hashes = new Set<string>();
  tokens.forEach((t, i) => {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `'${t.name}' is listed twice` });
    if (hashes.has(t.sha256)) ctx.addIssue({ code: 'custom', path: [i, 'sha256'], message: 'the same token is listed twice' });
    names.add(t.name);
    hashes.add(t.sha256);
  });
});

/** @throws Error naming the entry and field when the list is malformed. */
export function parseAdminTokens(data: unknown, where: string): AdminToken[] {
  return parseSetting(adminTokensSchema, data, where);
}

export const roleAtLeast = (role: AdminRole, needed: AdminRole) => ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(needed);

/** The token the bearer secret is, if any: compared by hash, in time independent of where they differ. */
export async function findAdminToken(tokens: readonly AdminToken[], secret: string): Promise<AdminToken | undefined> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  let found: AdminToken | undefined;
  for (const token of tokens) if (sameText(token.sha256, hex)) found = token;
  return found;
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
