export { endpoint, actorOf, metaOf, type Call } from '@cadre/runtime';
