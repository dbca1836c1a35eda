/**
 * Service configuration from the environment, validated once at boot with zod. A bad value stops
 * the service with a message naming the variable. This and src/cli/env.ts are the only readers of
 * process.env: the core takes everything as parameters.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { ZkmlError } from '../errors';
import { defaultProverThreads } from '../prover/prover';
import { packageRoot } from '../package-root';
import { ZKML_MODES } from '../setup/production';
import { defaultCacheDir } from '../setup/ptau-store';

/** Lowest first: each scope grants the ones before it (admin ⊇ prove ⊇ read). */
export const SCOPES = ['read', 'prove', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** "key1=read,prove;key2=read" → map from key to scopes. */
const apiKeys = z.string().transform((s, ctx) => {
  const keys = new Map<string, Set<Scope>>();
  for (const entry of s
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [key, scopes = ''] = entry.split('=');
    if (!key || key.length < 16) ctx.addIssue({ code: 'custom', message: 'each key needs at least 16 characters (format: KEY=scope,scope;KEY2=scope)' });
    const list = scopes
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const bad = list.filter((x) => !(SCOPES as readonly string[]).includes(x));
    if (list.length === 0 || bad.length) ctx.addIssue({ code: 'custom', message: `scopes must be among ${SCOPES.join(', ')}${bad.length ? `; got ${bad.join(', ')}` : ''}` });
    keys.set(key, new Set(list as Scope[]));
  }
  return keys;
});

const Env = z
  .object({
    PORT: int(0, 65535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    ZKML_DATA_DIR: z.string().min(1).default(path.join(process.cwd(), 'data')),
    ZKML_ARTIFACTS_DIR: z.string().min(1).optional(),
    ZKML_MODELS_DIR: z.string().min(1).default(path.join(packageRoot(), 'models')),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    ZKML_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _')
      .default('zkml'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    ZKML_QUEUE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('zkml-jobs'),
    ZKML_API_KEYS: apiKeys.optional(),
    ZKML_MAX_QUEUE: int(1, 1_000_000).default(1000),
    ZKML_MAX_BATCH: int(1, 100_000).default(1000),
    ZKML_PROVER_THREADS: int(1, 64).default(defaultProverThreads()),
    ZKML_MAX_ATTEMPTS: int(1, 100).default(3),
    /** Compile jobs (compile + setup) run at once per process, in their own lane beside the proof slots. */
    ZKML_COMPILE_CONCURRENCY: int(1, 16).default(1),
    /** A compile job (compile + setup) running longer is stopped and fails JOB_TIMEOUT. */
    ZKML_COMPILE_TIMEOUT_MS: int(1000, 24 * 3_600_000).default(3_600_000),
    ZKML_BODY_LIMIT_BYTES: int(1024, 1 << 30).default(8 * 1024 * 1024),
    ZKML_UPLOAD_LIMIT_BYTES: int(1024, 1 << 30).default(64 * 1024 * 1024),
    ZKML_CORS_ORIGINS: z.string().optional(),
    ZKML_CHAIN_RPC_URL: z.string().url().optional(),
    ZKML_CHAIN_PRIVATE_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex key')
      .optional(),
    /** 'production' refuses to prove with dev/unpinned ptau or keys not from a finished ceremony ('' = development). */
    ZKML_MODE: z.enum(['', ...ZKML_MODES]).optional(),
    /** The dev ptau cache (compile jobs' setup); '' = the default. */
    ZKML_CACHE_DIR: z.string().optional(),
    ZKML_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Whether the API process also runs jobs (default: yes in embedded mode, no with REDIS_URL). */
    ZKML_API_RUNS_JOBS: bool.optional(),
    ZKML_LOCK_MS: int(1000, 3_600_000).default(30_000),
    ZKML_STALLED_MS: int(500, 3_600_000).default(15_000),
    /** Scale-out: how often stored jobs the queue lost (Redis restarted, API died mid-enqueue) are re-announced. */
    ZKML_SWEEP_MS: int(200, 3_600_000).default(30_000),
    /** The HMAC-SHA256 key of webhook signatures; without it, requests with a callbackUrl are refused. */
    ZKML_WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    ZKML_WEBHOOK_ATTEMPTS: int(1, 50).default(5),
    /** The wait after the first failed delivery, doubled after each further one up to ZKML_WEBHOOK_MAX_DELAY_MS. */
    ZKML_WEBHOOK_BASE_MS: int(1, 3_600_000).default(1000),
    ZKML_WEBHOOK_MAX_DELAY_MS: int(1, 24 * 3_600_000).default(60_000),
    ZKML_WEBHOOK_POLL_MS: int(10, 3_600_000).default(1000),
    ZKML_WEBHOOK_TIMEOUT_MS: int(100, 600_000).default(10_000),
  })
  .superRefine((e, ctx) => {
    if (e.REDIS_URL && !e.DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'REDIS_URL (scale-out) needs DATABASE_URL: workers cannot share a SQLite file' });
  });

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const r = Env.safeParse(env);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
    throw new ZkmlError('CONFIG_INVALID', `invalid configuration: ${msg}`);
  }
  const e = r.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.ZKML_DATA_DIR),
    artifactsDir: path.resolve(e.ZKML_ARTIFACTS_DIR ?? path.join(e.ZKML_DATA_DIR, 'artifacts')),
    modelsDir: path.resolve(e.ZKML_MODELS_DIR),
    databaseUrl: e.DATABASE_URL,
    dbSchema: e.ZKML_DB_SCHEMA,
    redisUrl: e.REDIS_URL,
    queueName: e.ZKML_QUEUE_NAME,
    apiKeys: e.ZKML_API_KEYS ?? new Map<string, Set<Scope>>(),
    maxQueue: e.ZKML_MAX_QUEUE,
    maxBatch: e.ZKML_MAX_BATCH,
    proverThreads: e.ZKML_PROVER_THREADS,
    maxAttempts: e.ZKML_MAX_ATTEMPTS,
    compileConcurrency: e.ZKML_COMPILE_CONCURRENCY,
    compileTimeoutMs: e.ZKML_COMPILE_TIMEOUT_MS,
    bodyLimit: e.ZKML_BODY_LIMIT_BYTES,
    uploadLimit: e.ZKML_UPLOAD_LIMIT_BYTES,
    corsOrigins: e.ZKML_CORS_ORIGINS?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    chainRpcUrl: e.ZKML_CHAIN_RPC_URL,
    chainPrivateKey: e.ZKML_CHAIN_PRIVATE_KEY,
    logLevel: e.ZKML_LOG_LEVEL,
    mode: e.ZKML_MODE || 'development',
    cacheDir: path.resolve(e.ZKML_CACHE_DIR || defaultCacheDir()),
    apiRunsJobs: e.ZKML_API_RUNS_JOBS ?? !e.REDIS_URL,
    lockMs: e.ZKML_LOCK_MS,
    stalledMs: e.ZKML_STALLED_MS,
    sweepMs: e.ZKML_SWEEP_MS,
    webhooks: e.ZKML_WEBHOOK_SECRET
      ? {
          secret: e.ZKML_WEBHOOK_SECRET,
          attempts: e.ZKML_WEBHOOK_ATTEMPTS,
          baseMs: e.ZKML_WEBHOOK_BASE_MS,
          capMs: e.ZKML_WEBHOOK_MAX_DELAY_MS,
          pollMs: e.ZKML_WEBHOOK_POLL_MS,
          timeoutMs: e.ZKML_WEBHOOK_TIMEOUT_MS,
        }
      : undefined,
  };
}
