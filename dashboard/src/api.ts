/**
 * Calls to the service's /v1 API with the API key the user signed in with. The key lives in this
 * tab's sessionStorage only (gone when the tab closes; never in a URL, a cookie or localStorage) and
 * goes with every request as X-Api-Key.
 */
import type { JobView, Progress } from './types.js';

const KEY = 'zkml.apiKey';

/** A refused call: the problem+json code and detail, or the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const storedKey = (): string | null => sessionStorage.getItem(KEY);
export const saveKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

function headers(key: string | null, json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (key) h['x-api-key'] = key;
  if (json) h['content-type'] = 'application/json';
  return h;
}

async function refusal(res: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string } = {};
  try {
    body = await res.json();
  } catch {
    // not problem+json: the status says enough
  }
  return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.detail ?? res.statusText);
}

/** A JSON call; `key` overrides the stored key (the sign-in check). */
export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: headers(init.key ?? storedKey(), init.body !== undefined),
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as T;
}

/**
 * A job's Server-Sent Events (GET /v1/jobs/:id/events), read with fetch because EventSource cannot
 * send the key header: `onProgress` for each `progress` event, resolving with the `end` event's job.
 */
export async function jobEvents(id: string, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<JobView> {
  const res = await fetch(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers: { ...headers(storedKey(), false), accept: 'text/event-stream' }, cache: 'no-store', credentials: 'omit', signal });
  if (!res.ok || !res.body) throw await refusal(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new ApiError(0, 'STREAM_CLOSED', 'the event stream closed before the job ended');
    buffered += value;
    let cut: number;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const event = parseEvent(buffered.slice(0, cut));
      buffered = buffered.slice(cut + 2);
      if (event?.name === 'progress') onProgress(event.data as Progress);
      if (event?.name === 'end') {
        await reader.cancel();
        return event.data as JobView;
      }
    }
  }
}

/** One SSE block (`event:` and `data:` lines; `:` lines are heartbeats). */
function parseEvent(block: string): { name: string; data: unknown } | null {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  return data.length ? { name, data: JSON.parse(data.join('\n')) } : null;
}

/** A refusal as the page shows it. */
export const explain = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err instanceof Error ? err.message : err));
