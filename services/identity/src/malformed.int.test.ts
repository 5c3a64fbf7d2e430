import fc from 'fast-check';
import { CadreError, identityMessages, setup, type Principal, type TokenPair } from '@cadre/proto';
import { startHarness, type Harness } from './test-support/harness';

// Every field name any identity request uses, so the generated payloads hit real fields.
const FIELDS = ['email', 'password', 'name', 'role', 'id', 'token', 'code', 'recovery_code', 'pending_token', 'refresh_token',
  'expires_at', 'expires_in_days'];

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '💥'.repeat(100), 'é'.repeat(3000), 'admin@example.com\u0000',
    '../../etc/passwd', "'; drop table users; --", 'cadre_abcdefgh_x', 'cadre_rt_x', 'eyJhbGciOiJub25lIn0.e30.', '2025-13-45T99:99:99Z'),
);
const oddValue = fc.oneof(oddString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
const payload = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), oddValue, { maxKeys: 6 }),
  fc.anything({ maxDepth: 2 }),
);

describe('identity with malformed requests', () => {
  let h: Harness;
  let admin: Principal;

  beforeAll(async () => {
    h = await startHarness();
    const pair: TokenPair = await h.send(setup, { email: 'admin@example.com', password: 'admin password' });
    admin = await h.principalOf(pair.access_token);
  });
  afterAll(async () => h?.dispose());

  it('answers every one with a typed error or a reply, never an internal error, and keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...identityMessages), payload, fc.boolean(), async (message, body, asAdmin) => {
        const outcome = await h.bus
          .request(message.subject, body, { timeoutMs: 15_000, headers: asAdmin ? { 'cadre-principal': JSON.stringify(admin) } : {} })
          .then(() => 'ok', (error: unknown) => error);
        if (outcome !== 'ok') {
          expect(outcome).toBeInstanceOf(CadreError);
          expect({ subject: message.subject, code: (outcome as CadreError).code }).not.toEqual({ subject: message.subject, code: 'internal' });
        }
      }),
      { numRuns: 600 },
    );
    await expect(h.principalOf('still-answering')).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
