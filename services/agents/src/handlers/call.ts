export { endpoint, callOf, requireAdmin, requirePrincipal, metaOf, type Call } from '@cadre/runtime';
