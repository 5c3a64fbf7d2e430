import { PRINCIPAL_HEADER, type Principal } from '@cadre/proto';
import { userOfActor, type Call } from '@cadre/runtime';

/** Request headers that carry a principal to another service (it checks ownership as for the gateway's calls). */
export function asPrincipal(principal: Principal | undefined): Record<string, string> {
  return principal === undefined ? {} : { [PRINCIPAL_HEADER]: JSON.stringify(principal) };
}

/** Headers of a call made for the caller of `call`. */
export function forwardCaller(call: Call): Record<string, string> {
  return asPrincipal(call.principal);
}

/**
 * The principal a swarm's runs are made and cancelled as: the user who launched it (the runs are
 * theirs, so they see them and their events), or — for a swarm of the engine — the engine.
 */
export function swarmPrincipal(createdBy: string | undefined, swarmId: string): Principal {
  const user = userOfActor(createdBy);
  return user !== undefined
    ? { kind: 'user', user_id: user, role: 'member', credential_id: `swarm:${swarmId}` }
    : { kind: 'service', role: 'admin', credential_id: `swarm:${swarmId}` };
}
