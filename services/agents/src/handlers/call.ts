export { endpoint, callOf, requireAdmin, requirePrincipal, metaOf, ownerFilter, requireAccess, requireUser, type Call } from '@cadre/runtime';
