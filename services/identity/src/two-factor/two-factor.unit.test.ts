import { ConflictError } from '@cadre/proto';
import type { IdentityEvent } from '../events';
import { decideTwoFactor } from './decide';
import { evolveTwoFactor, initialTwoFactor } from './two-factor';

const now = new Date('2025-01-01T00:00:00Z');
const given = (...events: IdentityEvent[]) => events.reduce(evolveTwoFactor, initialTwoFactor);

describe('two-factor', () => {
  it('turns on once, keyed by the enabling event, and off once', () => {
    const [enabled] = decideTwoFactor({ kind: 'enable', userId: 'u1', eventId: 'g1', now }, given());
    expect(given(enabled!)).toEqual({ status: 'on', eventId: 'g1' });
    expect(() => decideTwoFactor({ kind: 'enable', userId: 'u1', eventId: 'g2', now }, given(enabled!))).toThrow(ConflictError);
    const [disabled] = decideTwoFactor({ kind: 'disable', userId: 'u1', eventId: 'g3', now }, given(enabled!));
    expect(given(enabled!, disabled!)).toEqual({ status: 'off' });
    expect(() => decideTwoFactor({ kind: 'disable', userId: 'u1', eventId: 'g4', now }, given(enabled!, disabled!))).toThrow(ConflictError);
  });
});
