export { endpoint, actorOf, metaOf, ownerFilter, requireAdmin, type Call } from '@cadre/runtime';
