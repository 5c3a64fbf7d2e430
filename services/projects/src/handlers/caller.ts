import { PRINCIPAL_HEADER, REQUEST_ID_HEADER } from '@cadre/proto';
import type { Call } from '@cadre/runtime';

/**
 * Headers of a request to another service made for the caller: who they are (as the gateway
 * said) and the request id, so that service checks their access and records them as the actor.
 */
export function actingFor(call: Call): Record<string, string> {
  return {
    ...(call.principal !== undefined ? { [PRINCIPAL_HEADER]: JSON.stringify(call.principal) } : {}),
    ...(call.requestId !== undefined ? { [REQUEST_ID_HEADER]: call.requestId } : {}),
  };
}
