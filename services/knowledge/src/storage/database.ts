/** The knowledge service's tables are queried with SQL (parameterised); Kysely runs only the migrations. */
export type KnowledgeDatabase = Record<string, never>;
