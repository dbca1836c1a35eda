/** The NestJS module: controllers over the runtime's engine, the API-key guard and the problem+json filter. */
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import { ApiKeyGuard } from './auth.guard';
import { BatchesController, ModelsController, ProofsController, VerifyController } from './controllers';
import { EventsController } from './events.controller';
import { OpsController } from './ops.controller';
import { ProblemFilter } from './problem.filter';
import type { Runtime } from './runtime';
import { ENGINE, RUNTIME } from './tokens';

@Module({})
export class AppModule {
  static create(rt: Runtime, log: Logger): DynamicModule {
    return {
      module: AppModule,
      controllers: [ModelsController, ProofsController, BatchesController, VerifyController, OpsController, EventsController],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: ENGINE, useValue: rt.engine },
        { provide: APP_GUARD, useFactory: (reflector: Reflector) => new ApiKeyGuard(reflector, rt.config.apiKeys), inject: [Reflector] },
        { provide: APP_FILTER, useValue: new ProblemFilter(log) },
      ],
    };
  }
}
