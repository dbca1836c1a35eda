/**
 * Starts the HTTP service (`npm start`, `zkml serve`): config validated first, then the runtime,
 * then NestJS on Express with body limits, request ids and pino logs, CORS only when configured,
 * and OpenAPI at /docs. Returns a handle whose close() drains jobs and stops everything.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createLogger } from './log';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module';
import { Config } from './config';
import { documentFromSchemas } from './openapi';
import { problem, toZkmlError } from './problem.filter';
import { createRuntime, Runtime } from './runtime';
import { redactRequest, securityHeaders } from './security';
import { dashboard } from './dashboard/serve';

export interface Server {
  url: string;
  runtime: Runtime;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel)): Promise<Server> {
  const rt = await createRuntime(config, log, { runJobs: config.apiRunsJobs });
  const registered = await rt.engine.registerShipped(config.modelsDir);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.create(rt, log), { logger: false, bodyParser: false });

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      // A key put in the query string (?api_key=…) is not logged; header keys are redacted by the logger.
      serializers: { req: redactRequest },
    }),
  );
  app.use(securityHeaders);
  app.use(dashboard());
  app.useBodyParser('json', { limit: config.bodyLimit });
  app.useBodyParser('raw', { type: 'application/octet-stream', limit: config.uploadLimit });
  if (config.corsOrigins?.length) app.enableCors({ origin: config.corsOrigins });
  app.disable('x-powered-by');

  const doc = new DocumentBuilder()
    .setTitle('zkml proof service')
    .setDescription('ONNX models → Groth16 proofs of inference, verified off-chain and on-chain. Errors are application/problem+json with a stable `code`.')
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
    .build();
  SwaggerModule.setup('docs', app, () => documentFromSchemas(SwaggerModule.createDocument(app, doc)));

  await app.init();
  // Body-parser errors happen before routing; answer them in problem+json too.
  app.use((err: unknown, req: Parameters<typeof problem>[1], res: Parameters<typeof problem>[0], _next: unknown) => {
    const { status, error } = toZkmlError(err);
    problem(res, req, status, error.code, error.message);
  });
  await app.listen(config.port, config.host);
  const addr = app.getHttpServer().address();
  const url = `http://${config.host}:${typeof addr === 'object' && addr ? addr.port : config.port}`;
  log.info(
    { url, mode: config.redisUrl ? 'bullmq' : 'in-process', store: config.databaseUrl ? 'postgresql' : 'sqlite', runsJobs: config.apiRunsJobs, models: registered.map((m) => m.name) },
    'zkml service listening',
  );
  if (config.apiKeys.size === 0) log.warn('no API keys configured (ZKML_API_KEYS): the API is open to anyone who can reach it');

  return {
    url,
    runtime: rt,
    async close() {
      await app.close();
      await rt.close();
    },
  };
}
