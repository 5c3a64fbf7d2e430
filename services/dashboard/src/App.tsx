import { lazy, Suspense, useEffect } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { signOut } from './api';
import { useSession } from './hooks';
import { LoginPage } from './pages/Login';
import { RunsPage } from './pages/Runs';
import { RunPage } from './pages/Run';
import { SwarmsPage } from './pages/Swarms';
import { UsersPage } from './pages/Users';
import { ProjectsPage } from './pages/Projects';
import { ProjectPage } from './pages/Project';
const AccountPage = lazy(() => import('./pages/Account').then((m) => ({ default: m.AccountPage })));
const MemoryPage = lazy(() => import('./pages/Memory').then((m) => ({ default: m.MemoryPage })));
const OperationsPage = lazy(() => import('./pages/Operations').then((m) => ({ default: m.OperationsPage })));
const KnowledgePage = lazy(() => import('./pages/Knowledge').then((m) => ({ default: m.KnowledgePage })));
const SwarmPage = lazy(() => import('./pages/Swarm').then((m) => ({ default: m.SwarmPage })));

interface NavItem {
  readonly href: string;
  readonly label: string;
  readonly admin?: boolean;
}

const NAV: readonly NavItem[] = [
  { href: '/runs', label: 'Runs' },
  { href: '/swarms', label: 'Swarms' },
  { href: '/memory', label: 'Memory' },
  { href: '/projects', label: 'Projects' },
  { href: '/account', label: 'Account' },
  { href: '/operations', label: 'Operations', admin: true },
  { href: '/users', label: 'Users', admin: true },
];

function AdminOnly({ children }: { readonly children: React.ReactNode }) {
  const { user } = useSession();
  if (user?.role !== 'admin') {
    return <section className="page"><h1>Not available</h1><p role="alert">This page is for admins.</p></section>;
  }
  return <>{children}</>;
}

export function App() {
  const { user, restoring } = useSession();
  const [location] = useLocation();
  // Each page change moves the focus to its heading, so keyboard and screen-reader users land on it.
  useEffect(() => {
    document.getElementById('page-title')?.focus();
  }, [location]);

  if (restoring) return <main className="center"><p role="status">Loading…</p></main>;
  if (!user) return <LoginPage />;
  const items = NAV.filter((item) => !item.admin || user.role === 'admin');
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link href="/runs" className="brand">Cadre</Link>
        <nav aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={location.startsWith(item.href) ? 'page' : undefined}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span data-testid="who">{user.name ?? user.email} <small>({user.role})</small></span>
          <button type="button" onClick={() => void signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main">
        <Suspense fallback={<p role="status">Loading…</p>}>
        <Switch>
          <Route path="/"><Redirect to="/runs" /></Route>
          <Route path="/runs" component={RunsPage} />
          <Route path="/runs/:id">{(params) => <RunPage key={params.id} id={params.id} />}</Route>
          <Route path="/swarms" component={SwarmsPage} />
          <Route path="/swarms/:id">{(params) => <SwarmPage key={params.id} id={params.id} />}</Route>
          <Route path="/memory" component={MemoryPage} />
          <Route path="/projects" component={ProjectsPage} />
          <Route path="/projects/:id">{(params) => <ProjectPage key={params.id} id={params.id} />}</Route>
          <Route path="/projects/:id/knowledge">{(params) => <KnowledgePage key={params.id} id={params.id} />}</Route>
          <Route path="/account" component={AccountPage} />
          <Route path="/operations"><AdminOnly><OperationsPage /></AdminOnly></Route>
          <Route path="/users"><AdminOnly><UsersPage /></AdminOnly></Route>
          <Route><section className="page"><h1 id="page-title" tabIndex={-1}>Not found</h1><p>No page here. <Link href="/runs">Runs</Link></p></section></Route>
        </Switch>
        </Suspense>
      </main>
    </div>
  );
}
