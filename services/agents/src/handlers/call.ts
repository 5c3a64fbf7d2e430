export { endpoint, callOf, requireAdmin, metaOf, type Call } from '@cadre/runtime';
