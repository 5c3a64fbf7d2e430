import { NotFoundError } from '@cadre/proto';
import { ownerFilter, ownerOf, requireAdmin, requirePrincipal, type Call } from '@cadre/runtime';

/**
 * The user a call acts for: the caller, or — for a service call made for an agent's run (the
 * executor's tools) — the run's user named in the request, which only an admin or the engine
 * credential may name.
 */
export function actingUser(call: Call, requested: string | undefined): string | undefined {
  if (requested !== undefined) {
    requireAdmin(call);
    return requested;
  }
  requirePrincipal(call);
  return ownerOf(call);
}

/** Whose memories a read may see: the acting user's, or everyone's for an admin acting for no one in particular. */
export function readScope(call: Call, requested: string | undefined): { readonly owner?: string } {
  if (requested !== undefined) {
    requireAdmin(call);
    return { owner: requested };
  }
  const filter = ownerFilter(call);
  return filter.all ? {} : { owner: filter.owner };
}

export const memoryNotFound = (id: string): NotFoundError => new NotFoundError(`no memory '${id}'`);
