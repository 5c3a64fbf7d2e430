/**
 * Who may see a domain's events on the stream: everyone signed in (`public`), each event's
 * owner and admins (`owner`), or admins only (`admin`). A domain no service declares is
 * `admin`, and so is `bus` (the infrastructure's own events: dead letters).
 */
export type Visibility = 'public' | 'owner' | 'admin';

/** The visibility of `domain` in a deployment's table: undeclared domains are admin-only. */
export function visibilityOf(table: Readonly<Record<string, Visibility>>, domain: string): Visibility {
  if (domain === 'bus') return 'admin';
  return Object.hasOwn(table, domain) ? table[domain]! : 'admin';
}
