/**
 * Header through which the gateway passes the caller's network address (the socket's, or the
 * first X-Forwarded-For hop when the gateway trusts its proxy); identity throttles logins by it.
 */
export const CLIENT_ADDRESS_HEADER = 'cadre-client-address';
