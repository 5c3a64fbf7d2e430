import { BarController, BarElement, CategoryScale, Chart as ChartJs, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';

ChartJs.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
}

/** A bar chart over time buckets (chart.js); the same figures are listed in a table beside it. */
export function BarChart({ labels, series, title }: { readonly labels: readonly string[]; readonly series: readonly Series[]; readonly title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const data = JSON.stringify([labels, series]);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new ChartJs(canvas.current, {
      type: 'bar',
      data: { labels: [...labels], datasets: series.map((s) => ({ label: s.label, data: [...s.values], backgroundColor: s.color, maxBarThickness: 48 })) },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
    });
    return () => chart.destroy();
  }, [data]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box"><canvas ref={canvas} role="img" aria-label={`${title}: ${labels.map((l, i) => `${l} ${series.map((s) => `${s.label} ${s.values[i] ?? 0}`).join(', ')}`).join('; ')}`} /></div>
    </figure>
  );
}

/** Counts per hour (ISO hour, local display) of the last `hours` hours. */
export function hourly<T>(items: readonly T[], time: (item: T) => string, value: (item: T) => number, hours = 24): { labels: string[]; values: number[] } {
  const now = new Date();
  now.setMinutes(0, 0, 0);
  const start = now.getTime() - (hours - 1) * 3_600_000;
  const values = new Array<number>(hours).fill(0);
  for (const item of items) {
    const index = Math.floor((new Date(time(item)).getTime() - start) / 3_600_000);
    if (index >= 0 && index < hours) values[index] = (values[index] ?? 0) + value(item);
  }
  const labels = values.map((_, i) => new Date(start + i * 3_600_000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));
  return { labels, values };
}
