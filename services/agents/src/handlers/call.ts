export { endpoint, callOf, requireAdmin, requirePrincipal, metaOf, ownerFilter, requireAccess, type Call } from '@cadre/runtime';
