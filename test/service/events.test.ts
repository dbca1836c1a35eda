/**
 * Job events over Server-Sent Events: a client that subscribes right after submitting a proof sees
 * `progress` events in order (state queued/running → done, percent never going back) and one final
 * `end` with the job view, then the stream closes; a compile job streams the same way; an unknown job
 * is a 404 problem+json; a key is needed like any read route.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { makeTempDir } from '../helpers/onnx-builders';
import { http, TINY_INPUT, tinyCalibration, tinyOnnx } from '../helpers/service';

const KEY = 'events-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

interface Sse {
  event: string;
  data: any;
}

/** Reads a whole SSE stream (until the server closes it) into its events. */
async function readEvents(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; events: Sse[] }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [e, d] = block.split('\n');
      return { event: e.slice('event: '.length), data: JSON.parse(d.slice('data: '.length)) };
    });
  return { status: res.status, type: res.headers.get('content-type') ?? '', events };
}

function checkStream(events: Sse[], id: string): void {
  assert.ok(events.length >= 2, JSON.stringify(events));
  const end = events.at(-1)!;
  assert.equal(end.event, 'end');
  assert.equal(end.data.id, id);
  assert.equal(end.data.state, 'done');
  const progress = events.slice(0, -1);
  assert.ok(
    progress.every((e) => e.event === 'progress' && e.data.id === id),
    'only progress before the end',
  );
  assert.equal(progress.at(-1)!.data.state, 'done');
  const order = ['queued', 'running', 'done'];
  for (let i = 1; i < progress.length; i++) {
    assert.ok(order.indexOf(progress[i].data.state) >= order.indexOf(progress[i - 1].data.state), 'states move forward');
    if (progress[i].data.state === progress[i - 1].data.state) assert.ok(progress[i].data.percent >= progress[i - 1].data.percent, 'percent never goes back');
    assert.notDeepEqual(progress[i].data, progress[i - 1].data, 'an event per change, no repeats');
  }
}

describe('job events (SSE)', () => {
  let dir: string;
  let server: Server;
  let base: string;

  before(async () => {
    dir = makeTempDir('events');
    const config = loadConfig({ PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.join(dir, 'none'), ZKML_API_KEYS: `${KEY}=admin,prove,read`, ZKML_PROVER_THREADS: '1' });
    server = await startServer(config, createLogger('silent'));
    base = server.url;
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a compile job, then a proof job, stream progress and end', async () => {
    const up = await http(base, 'POST', '/v1/models?name=tiny', tinyOnnx(), auth);
    const compile = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { calibration: tinyCalibration() }, auth);
    const c = await readEvents(`${base}/v1/jobs/${compile.body.jobId}/events`, auth);
    assert.equal(c.status, 200);
    assert.equal(c.type.split(';')[0], 'text/event-stream');
    checkStream(c.events, compile.body.jobId);
    assert.ok(new Set(c.events.map((e) => e.data.phase)).size > 2, 'the compile phases show');

    const p = await http(base, 'POST', '/v1/proofs', { modelId: up.body.id, input: TINY_INPUT }, auth);
    const s = await readEvents(`${base}/v1/jobs/${p.body.id}/events`, auth);
    checkStream(s.events, p.body.id);
    // A finished job streams its last state and the end at once.
    const again = await readEvents(`${base}/v1/jobs/${p.body.id}/events`, auth);
    assert.deepEqual(
      again.events.map((e) => e.event),
      ['progress', 'end'],
    );
  });

  test('an unknown job is a 404 problem; no key is a 401', async () => {
    const r = await http(base, 'GET', '/v1/jobs/nope/events', undefined, auth);
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 'NOT_FOUND');
    assert.equal((await http(base, 'GET', '/v1/jobs/nope/events')).status, 401);
  });
});
