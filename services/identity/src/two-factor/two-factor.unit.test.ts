import { ConflictError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { twoFactorDecider } from './decider';

const now = new Date('2025-01-01T00:00:00Z');
const twoFactor = deciderSpec(twoFactorDecider);

describe('two-factor', () => {
  it('turns on once, keyed by the enabling event, and off once', () => {
    const on = twoFactor.when({ kind: 'enable', userId: 'u1', eventId: 'g1', now }).thenState({ status: 'on', eventId: 'g1' });
    const enabled = twoFactor.given(on.events);
    enabled.when({ kind: 'enable', userId: 'u1', eventId: 'g2', now }).thenThrows(ConflictError);
    const off = enabled.when({ kind: 'disable', userId: 'u1', eventId: 'g3', now }).thenState({ status: 'off' });
    enabled.given(off.events).when({ kind: 'disable', userId: 'u1', eventId: 'g4', now }).thenThrows(ConflictError);
  });
});
