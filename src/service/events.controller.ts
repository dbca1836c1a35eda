/**
 * Server-Sent Events for a job (`GET /v1/jobs/:id/events`): a `progress` event whenever its state,
 * phase or percent changes, then one `end` event with the job view when it is done or failed, and the
 * stream closes. The job store is the source (polled here), so it works the same with SQLite or
 * PostgreSQL and with jobs run by other processes (BullMQ workers).
 */
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ZkmlError } from '../errors';
import type { Engine } from '../jobs/engine';
import type { Job } from '../jobs/job';
import { RequireScope } from './auth.guard';
import { ENGINE } from './tokens';
import { jobView } from './views';

const POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

@ApiTags('jobs')
@ApiSecurity('apiKey')
@Controller('v1/jobs')
export class EventsController {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  @Get(':id/events')
  @RequireScope('read')
  @ApiProduces('text/event-stream')
  @ApiOperation({ summary: "A job's progress as Server-Sent Events: `progress` {id, state, phase, percent} on each change, then `end` with the job view (done or failed)" })
  async events(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    let job = await this.engine.store.getJob(id);
    if (!job) throw new ZkmlError('NOT_FOUND', `no job ${id}`);
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    let closed = false;
    req.on('close', () => (closed = true));
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let last = '';
    let beat = Date.now();
    while (!closed) {
      const now = progressOf(job);
      if (JSON.stringify(now) !== last) {
        last = JSON.stringify(now);
        send('progress', now);
      }
      if (job.state === 'done' || job.state === 'failed') {
        send('end', jobView(job));
        break;
      }
      if (Date.now() - beat > HEARTBEAT_MS) {
        res.write(': heartbeat\n\n');
        beat = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      job = (await this.engine.store.getJob(id)) ?? job;
    }
    res.end();
  }
}

function progressOf(job: Job) {
  return { id: job.id, state: job.state, phase: job.phase, percent: job.percent };
}
