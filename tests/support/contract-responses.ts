/** One answer of the gateway as an end-to-end test saw it. */
export interface RecordedResponse {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: unknown;
}

declare global {
  var __cadreResponses: RecordedResponse[] | undefined;
}

/** Keeps the answer for the contract check of the suite (tests/support/contract-check.ts), when one runs. */
export function recordResponse(response: RecordedResponse): void {
  globalThis.__cadreResponses?.push(response);
}
