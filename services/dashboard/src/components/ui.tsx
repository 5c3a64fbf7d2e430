import type { ReactNode } from 'react';
import type { StreamStatus } from '../stream';

/** A state word as a coloured badge; the word itself is the label (colour is never the only cue). */
export function Status({ value }: { readonly value: string }) {
  return <span className={`badge badge-${value}`} data-status={value}>{value}</span>;
}

export function ErrorNote({ error }: { readonly error: Error | undefined | null }) {
  if (!error) return null;
  return <p className="error" role="alert">{error.message}</p>;
}

/** Whether the page's event stream is connected, for screen readers too. */
export function LiveIndicator({ status }: { readonly status: StreamStatus }) {
  const label = status === 'live' ? 'Live' : status === 'closed' ? 'Stopped' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return <span className={`live live-${status}`} role="status" aria-live="polite" data-stream={status}>{label}</span>;
}

export function Page({ title, actions, children }: { readonly title: string; readonly actions?: ReactNode; readonly children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title" tabIndex={-1}>{title}</h1>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { readonly children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
