/** Liveness/readiness and Prometheus metrics: public, cheap, never behind the job queue. */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from './auth.guard';
import type { Runtime } from './runtime';
import { RUNTIME } from './tokens';

@ApiTags('ops')
@Controller()
export class OpsController {
  constructor(@Inject(RUNTIME) private readonly rt: Runtime) {}

  @Get('health')
  @Public()
  @ApiOperation({ summary: 'Liveness and readiness: 200 when the job store and the queue answer, 503 otherwise, naming the dependency that does not (checks.store, checks.queue)' })
  async health(@Res({ passthrough: true }) res: Response) {
    let store = 'ok';
    let depth: number | null = null;
    const queueUp = this.rt.queue.reachable();
    try {
      depth = await this.rt.store.countActive();
    } catch {
      store = 'unavailable';
    }
    const queue = (await queueUp) ? 'ok' : 'unavailable';
    const ready = store === 'ok' && queue === 'ok';
    if (!ready) res.status(503);
    return {
      status: ready ? 'ok' : 'degraded',
      live: true,
      ready,
      checks: { store, queue },
      queue: { mode: this.rt.config.redisUrl ? 'bullmq' : 'in-process', depth, limit: this.rt.config.maxQueue, busyHere: this.rt.queue.busy() },
    };
  }

  @Get('metrics')
  @Public()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  async metrics(@Res() res: Response) {
    res.type(this.rt.metrics.registry.contentType).send(await this.rt.metrics.registry.metrics());
  }
}
