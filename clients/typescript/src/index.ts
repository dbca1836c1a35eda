/** @zkml/client: the typed client of the zkml proof service and offline receipt verification. */
export { ZkmlClient, ZkmlApiError, newIdempotencyKey, retryAfterMs } from './client';
export type { ClientOptions, WaitOptions } from './client';
export { verifyReceipt } from './verify';
export type { DecodedSignal, OfflineVerdict } from './verify';
export type * from './types';
