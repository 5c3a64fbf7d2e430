/** How long one figure read at scrape time may take before the scrape goes on without it. */
export const SCRAPE_READ_TIMEOUT_MS = 2_000;

/**
 * Reads a figure for a scrape: its value, or undefined when the read failed or took longer than
 * `timeoutMs` (the bus or database is away). A gauge then keeps its last value rather than
 * report a false zero, and a slow dependency never holds the scrape past the timeout.
 */
export async function readForScrape<T>(read: () => Promise<T>, timeoutMs = SCRAPE_READ_TIMEOUT_MS): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([read().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
