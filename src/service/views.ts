/** What the API shows of jobs and receipts. */
import type { Job, WebhookDelivery } from '../jobs/job';
import type { CallerId, ProofJob } from '../jobs/engine';
import { receiptView } from './receipt-view';

/** A job: never its private payload, nor who submitted it. */
export function jobView(job: Job) {
  const { payload: _payload, owner: _owner, requester: _requester, idempotencyKey: _key, ...rest } = job;
  return rest;
}

/** A proof job with its receipt as this caller may see it (openings only for the requester). */
export function proofView({ job, receipt, webhook }: ProofJob, caller: CallerId) {
  return { ...jobView(job), webhook: webhook ? webhookView(webhook) : null, ...(receipt ? receiptView(receipt, job.requester === caller) : { receipt: null, withheld: [] }) };
}

/** A job's webhook delivery; when the next attempt is due stays internal. */
export function webhookView(w: WebhookDelivery) {
  const { nextAt: _next, ...rest } = w;
  return rest;
}
