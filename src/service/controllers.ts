/**
 * The HTTP API under /v1: thin handlers over the Engine (src/jobs/engine.ts), documented for OpenAPI.
 * Request bodies are validated at the edge by the zod schemas in bodies.ts.
 */
import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ZkmlError } from '../errors';
import { CallerId, Engine } from '../jobs/engine';
import { Caller, RequireScope } from './auth.guard';
import { parseBatchRequest, parseCompileRequest, parseDeployRequest, parseProofRequest, parseVerifyRequest } from './bodies';
import { ENGINE } from './tokens';
import { jobView, proofView, webhookView } from './views';

function pageParam(v: string | undefined, name: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ZkmlError('BODY_INVALID', `${name} must be an integer in 0..${max}`, { field: name });
  return n;
}

@ApiTags('models')
@ApiSecurity('apiKey')
@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Upload an ONNX model (raw bytes); its id is the sha256 of the file' })
  @ApiQuery({ name: 'name', required: false })
  async upload(@Req() req: Request, @Query('name') name?: string) {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const m = await this.engine.uploadModel(body, name);
    return { id: m.id, name: m.name, status: m.status };
  }

  @Get()
  @RequireScope('read')
  @ApiOperation({
    summary:
      'List models, oldest first, with the compile settings of each ready one: one page of at most `limit` (default 100, at most 1000); when more follow, the `Link` header (rel="next") and `X-Next-Cursor` give the next page (?cursor=…)',
  })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Res({ passthrough: true }) res: Response, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const n = Math.max(1, pageParam(limit, 'limit', 100, 1000));
    const page = await this.engine.listModels(n, cursor);
    if (page.nextCursor) {
      res.setHeader('X-Next-Cursor', page.nextCursor);
      res.setHeader('Link', `</v1/models?limit=${n}&cursor=${page.nextCursor}>; rel="next"`);
    }
    return page.items;
  }

  @Delete(':id')
  @RequireScope('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model and its artifacts (ONNX, build); 409 MODEL_BUSY while it has queued or running jobs. Its finished proofs stay readable.' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.engine.deleteModel(id);
  }

  @Post(':id/compile')
  @RequireScope('admin')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Compile and set up the model (a job); body: { settings?, calibration? }. Visibility, batch size and quantization are chosen here, once per model: asked again with the same settings, the same job; with other settings, 409 MODEL_SETTINGS_CONFLICT naming them (delete the model to rebuild it)',
  })
  async compile(@Param('id') id: string, @Body() body: unknown) {
    const job = await this.engine.compile(id, parseCompileRequest(body));
    return { jobId: job.id, modelId: id, state: job.state };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({
    summary: 'Model status, compile settings (visibilities, batch size), public-signal layout, commitment scheme, stored deployment, per-layer constraint report and manifest',
  })
  async get(@Param('id') id: string) {
    const m = await this.engine.modelDetails(id);
    return { ...m, compileJob: m.compileJob ? jobView(m.compileJob) : null, compileWebhook: m.compileWebhook ? webhookView(m.compileWebhook) : null };
  }

  @Post(':id/deploy')
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Deploy the model's verifier to the configured chain (ZKML_CHAIN_RPC_URL, or the service's local anvil) and optionally register it in a ZkmlRegistry; the deployment is stored with the model and returned again (200) unless force is set",
  })
  async deploy(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const r = await this.engine.deploy(id, parseDeployRequest(body));
    res.status(r.created ? 201 : 200);
    return r;
  }

  @Post(':id/check')
  @RequireScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Check a ready or stopped model's build again (artifact hashes, trust in production mode), e.g. after its files were repaired: ready when it checks out, stopped with the reason otherwise",
  })
  async check(@Param('id') id: string) {
    const m = await this.engine.recheck(id);
    return { id: m.id, status: m.status, error: m.error };
  }

  @Get(':id/verifier.sol')
  @RequireScope('read')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'The Solidity Groth16 verifier of the model' })
  verifier(@Param('id') id: string) {
    return this.engine.verifierSol(id);
  }

  @Get(':id/verification_key.json')
  @RequireScope('read')
  @ApiOperation({ summary: 'The Groth16 verification key (snarkjs JSON)' })
  vk(@Param('id') id: string) {
    return this.engine.verificationKey(id);
  }

  @Get(':id/manifest.json')
  @RequireScope('read')
  @ApiOperation({
    summary: 'The public manifest: artifact hashes (ONNX → vk → verifier), ptau and phase-2 provenance, the weights commitment; with the key, all a third party needs (docs/verifying.md)',
  })
  manifest(@Param('id') id: string) {
    return this.engine.publicManifest(id);
  }
}

@ApiTags('proofs')
@ApiSecurity('apiKey')
@Controller('v1/proofs')
export class ProofsController {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  @Post()
  @RequireScope('prove')
  @ApiOperation({
    summary:
      'Request a proof: { modelId, input, idempotencyKey?, salts? } → 202 with the job. An idempotency key (the Idempotency-Key header or idempotencyKey) is scoped to the API key: repeated with the same body → 200 with the same job; with another body → 409 IDEMPOTENCY_CONFLICT. Only this API key will see the openings.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async submit(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Caller() caller: CallerId, @Res({ passthrough: true }) res: Response) {
    const { job, created } = await this.engine.submitProof(parseProofRequest(body, key), caller);
    res.status(created ? 202 : 200).setHeader('Location', `/v1/proofs/${job.id}`);
    return { id: job.id, state: job.state, created };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({
    summary:
      "Proof job: state, phase, percent, and the receipt when done. The receipt's openings (salts and committed values; for a hashed output also outputs and reference) go only to the key that requested the proof; `withheld` lists what was left out",
  })
  async get(@Param('id') id: string, @Caller() caller: CallerId) {
    return proofView(await this.engine.proof(id), caller);
  }

  @Post(':id/cancel')
  @RequireScope('prove')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued proof job (only its requester): it ends failed with JOB_CANCELLED and never runs; 409 JOB_NOT_CANCELLABLE once it runs or has ended' })
  async cancel(@Param('id') id: string, @Caller() caller: CallerId) {
    return jobView(await this.engine.cancelProof(id, caller));
  }

  @Get(':id/calldata')
  @RequireScope('read')
  @ApiOperation({ summary: "The arguments of the verifier's verifyProof(pA, pB, pC, pubSignals) for a finished proof, as `zkml calldata` prints them" })
  calldata(@Param('id') id: string) {
    return this.engine.calldata(id);
  }
}

@ApiTags('batches')
@ApiSecurity('apiKey')
@Controller('v1/batches')
export class BatchesController {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  @Post()
  @RequireScope('prove')
  @ApiOperation({
    summary:
      'Request many proofs of one model: { modelId, inputs: [...], idempotencyKey?, salts?: [...] } (salts: one entry per input) → 202. A repeated idempotency key (header or field) with the same body → 200 with the same batch, nothing added; with another body → 409',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async submit(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Caller() caller: CallerId, @Res({ passthrough: true }) res: Response) {
    const b = await this.engine.submitBatch(parseBatchRequest(body, key), caller);
    res.status(b.created ? 202 : 200).setHeader('Location', `/v1/batches/${b.batchId}`);
    return { id: b.batchId, size: b.size, created: b.created };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({ summary: 'Batch: counts by state and one page of items with their receipts (openings only for the key that requested the batch)' })
  @ApiQuery({ name: 'offset', required: false })
  @ApiQuery({ name: 'limit', required: false, description: 'at most 100 (default 20)' })
  async get(@Param('id') id: string, @Caller() caller: CallerId, @Query('offset') offset?: string, @Query('limit') limit?: string) {
    const b = await this.engine.batch(id, pageParam(offset, 'offset', 0, 1_000_000), Math.max(1, pageParam(limit, 'limit', 20, 100)));
    return { ...b, items: b.items.map((item) => ({ index: item.job.batchIndex, ...proofView(item, caller) })) };
  }
}

@ApiTags('verify')
@ApiSecurity('apiKey')
@Controller('v1/verify')
export class VerifyController {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  @Post()
  @RequireScope('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify a receipt off-chain, and on-chain too with onchain: true; openings the receipt carries are checked against its commitments → { valid, reason, code?, opened? }' })
  verify(@Body() body: unknown) {
    return this.engine.verify(parseVerifyRequest(body));
  }
}
