/**
 * Jobs: the ones this tab started and every model's compile job, each followed live over its
 * Server-Sent Events while it is queued or running; one job's page shows each progress event.
 * (The API has no job listing; the proofs of other sessions open by id.)
 */
import { api, explain, jobEvents } from './api.js';
import { badge, fill, h, short, table } from './dom.js';
import type { JobView, ModelSummary, ModelDetails, Progress } from './types.js';

interface KnownJob {
  id: string;
  kind: 'compile' | 'prove';
  modelId: string;
}

const JOBS = 'zkml.jobs';

function sessionJobs(): KnownJob[] {
  try {
    return JSON.parse(sessionStorage.getItem(JOBS) ?? '[]') as KnownJob[];
  } catch {
    return [];
  }
}

export function rememberJob(job: KnownJob): void {
  sessionStorage.setItem(JOBS, JSON.stringify([job, ...sessionJobs().filter((j) => j.id !== job.id)].slice(0, 100)));
}

export const ended = (state: string): boolean => state === 'done' || state === 'failed';

function progressBar(p: { state: string; percent: number }): HTMLProgressElement {
  return h('progress', { max: 100, value: p.percent, class: `p-${p.state}`, 'data-testid': 'progress' });
}

/** Keeps a cell's progress live until the job ends (or the page is left), then calls `onEnd`. */
export function follow(id: string, cell: HTMLElement, signal: AbortSignal, onEnd?: (job: JobView) => void): void {
  const show = (p: Progress) => fill(cell, badge(p.state), ' ', progressBar(p), ` ${p.phase} · ${p.percent}%`);
  jobEvents(id, show, signal).then(
    (job) => {
      show(job);
      onEnd?.(job);
    },
    (err) => signal.aborted || fill(cell, h('span', { class: 'error' }, explain(err))),
  );
}

export async function jobsPage(view: HTMLElement, _: string, signal: AbortSignal): Promise<void> {
  const models = await api<ModelSummary[]>('/v1/models?limit=1000');
  const names = new Map(models.map((m) => [m.id, m.name]));
  const compiles = (await Promise.all(models.map((m) => api<ModelDetails>(`/v1/models/${m.id}`)))).flatMap((m) => (m.compileJob ? [m.compileJob] : []));
  const proofs = await Promise.all(
    sessionJobs()
      .filter((j) => j.kind === 'prove')
      .map((j) => api<JobView>(`/v1/proofs/${j.id}`).catch(() => null)),
  );
  const jobs = [...proofs.filter((j): j is JobView => j !== null), ...compiles].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const watch = h('input', { id: 'watch-id', placeholder: 'job id', 'aria-label': 'job id' });
  fill(
    view,
    h('h2', {}, 'Jobs'),
    h(
      'form',
      {
        class: 'inline',
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (watch.value.trim()) location.hash = `#/jobs/${encodeURIComponent(watch.value.trim())}`;
        },
      },
      watch,
      h('button', { type: 'submit' }, 'Open'),
    ),
    jobs.length === 0
      ? h('p', { class: 'muted' }, 'No jobs yet in this tab: prove an inference from a model page.')
      : table(
          ['job', 'kind', 'model', 'progress', 'created'],
          jobs.map((j) => {
            const cell = h('span', {}, badge(j.state), ' ', progressBar(j), ` ${j.phase} · ${j.percent}%`);
            if (!ended(j.state)) follow(j.id, cell, signal);
            return [h('a', { href: `#/jobs/${j.id}` }, short(j.id)), j.kind, names.get(j.modelId) ?? short(j.modelId), cell, new Date(j.createdAt).toLocaleString()];
          }),
          'jobs',
        ),
  );
}

export async function jobPage(view: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const state = h('p', { class: 'job-state', 'data-testid': 'job-state' });
  const log = h('ol', { class: 'events', 'data-testid': 'events' });
  const end = h('div', { 'data-testid': 'job-end' });
  fill(view, h('h2', {}, 'Job ', h('code', {}, id)), state, end, h('h4', {}, 'Progress events'), log);
  const show = (p: Progress) => fill(state, badge(p.state), ' ', progressBar(p), ` ${p.phase} · ${p.percent}%`);
  const job = await jobEvents(
    id,
    (p) => {
      show(p);
      log.appendChild(h('li', {}, `${new Date().toLocaleTimeString()} ${p.state} · ${p.phase} · ${p.percent}%`));
    },
    signal,
  );
  show(job);
  if (job.state === 'failed') end.appendChild(h('p', { class: 'error', role: 'alert' }, `${job.error?.code}: ${job.error?.message}`));
  else if (job.kind === 'prove') end.appendChild(h('a', { href: `#/receipts/${job.id}`, class: 'button', id: 'open-receipt' }, 'Open the receipt'));
  else end.appendChild(h('a', { href: `#/models/${job.modelId}`, class: 'button', id: 'open-model' }, 'Open the model'));
}
