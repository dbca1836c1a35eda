/**
 * The web dashboard in a real headless browser (Debian's chromium driven by playwright-core): the
 * service on embedded defaults (SQLite, in-process queue) with models/tiny shipped; a wrong key gets
 * only the refusal; with the admin key the model is compiled from its page (the compile job's progress
 * followed live), its per-layer charts match the build report, a proof's progress reaches done, its
 * receipt shows the proved outputs beside onnxruntime's, and Verify says valid. Screenshots go to
 * test-artifacts/dashboard/. Without chromium the test skips, except under CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { verifyReceiptWithKey } from '../../src/app/verify-receipt';
import { parseReceipt } from '../../src/formats/receipt';
import { DASHBOARD_CSP } from '../../src/service/dashboard/serve';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { calibrationFile, makeTempDir, modelFile, REPO_ROOT } from '../helpers/onnx-builders';
import { http, TINY_INPUT, tinyInputs } from '../helpers/service';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'admin-key-dashboard-0123456789';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'dashboard');
const missing = !fs.existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`CI needs chromium at ${CHROMIUM} (.ci/run installs it with apt-get)`);

describe('the web dashboard in headless chromium', { skip: missing && `no chromium at ${CHROMIUM} (apt-get install chromium); CI=true makes this a failure` }, () => {
  let dir: string;
  let server: Server;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  /** A CSP violation or a script error shows in the page's console; a refused fetch (the wrong key's 401) is expected. */
  function listen(p: Page): void {
    p.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && problems.push(m.text()));
    p.on('pageerror', (e) => problems.push(String(e)));
  }
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const admin = { 'x-api-key': ADMIN };

  before(async () => {
    dir = makeTempDir('dashboard');
    const models = path.join(dir, 'models', 'tiny');
    fs.mkdirSync(models, { recursive: true });
    fs.copyFileSync(modelFile('tiny'), path.join(models, 'model.onnx'));
    fs.copyFileSync(calibrationFile('tiny'), path.join(models, 'calibration.json'));
    const config = loadConfig({ PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.dirname(models), ZKML_API_KEYS: `${ADMIN}=admin`, ZKML_PROVER_THREADS: '1' });
    server = await startServer(config, createLogger('silent'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // Root (CI) cannot use chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    listen(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the files are served with a CSP of this origin only, and nothing else is', async () => {
    const redirect = await fetch(`${server.url}/dashboard`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/dashboard/');
    const index = await http(server.url, 'GET', '/dashboard/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.equal(index.headers.get('x-frame-options'), 'DENY');
    const script = await http(server.url, 'GET', '/dashboard/main.js');
    assert.match(script.headers.get('content-type') ?? '', /text\/javascript/);
    for (const other of ['/dashboard/api.ts', '/dashboard/tsconfig.json', '/dashboard/..%2fpackage.json', '/dashboard/nope.js'])
      assert.equal((await http(server.url, 'GET', other)).status, 404, other);
  });

  test('a wrong key gets the refusal and nothing else', async () => {
    await page.goto(`${server.url}/dashboard/`);
    await page.fill('#api-key', 'not-a-key-of-this-service');
    await page.click('#sign-in');
    const refusal = await page.waitForSelector('[data-testid=refusal]');
    assert.match(await refusal.innerText(), /Refused: .*UNAUTHENTICATED/);
    assert.equal(await page.locator('nav').count(), 0, 'no navigation without a key');
    assert.equal(await page.locator('main').count(), 0, 'no page without a key');
    assert.equal(await page.evaluate('sessionStorage.getItem("zkml.apiKey")'), null, 'a refused key is not kept');
    await shot('1-refused');
  });

  test('with the key: compile the model from its page and watch the compile job', async () => {
    await page.fill('#api-key', ADMIN);
    await page.click('#sign-in');
    await page.waitForSelector('[data-testid=models]');
    const link = page.locator('[data-testid=model-link]', { hasText: 'tiny' });
    assert.equal(await link.count(), 1);
    assert.equal(await page.evaluate('sessionStorage.getItem("zkml.apiKey")'), ADMIN);
    await shot('2-models');
    await link.click();
    const modelUrl = page.url();
    await page.click('#compile');
    // A second tab (its own sign-in: sessionStorage is per tab) watches the model page while it compiles.
    const watcher = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    listen(watcher);
    await watcher.goto(modelUrl);
    await watcher.fill('#api-key', ADMIN);
    await watcher.click('#sign-in');
    await watcher.waitForSelector('[data-testid=compile-job] progress');
    assert.equal(await watcher.innerText('h2 [data-testid=status]'), 'compiling');

    await page.waitForSelector('#open-model', { timeout: 120_000 });
    const events = await page.locator('[data-testid=events] li').allInnerTexts();
    assert.ok(events.length >= 3, `progress events were shown live: ${events.join(' | ')}`);
    assert.ok(events.some((e) => /compile: /.test(e)) && events.some((e) => /setup: /.test(e)), events.join(' | '));
    assert.match(await page.innerText('[data-testid=job-state]'), /^done\b.* · 100%$/);
    // The watching tab drew the model again when the compile ended, with no reload.
    await watcher.waitForSelector('[data-testid=chart-constraints]', { timeout: 10_000 });
    assert.equal(await watcher.innerText('h2 [data-testid=status]'), 'ready');
    await watcher.close();
  });

  test('the model page: status, settings and per-layer charts from the build report', async () => {
    await page.click('#open-model');
    await page.waitForSelector('[data-testid=chart-constraints]');
    const id = (await http(server.url, 'GET', '/v1/models', undefined, admin)).body[0].id;
    const model = (await http(server.url, 'GET', `/v1/models/${id}`, undefined, admin)).body;
    assert.equal(await page.innerText('h2 [data-testid=status]'), 'ready');
    assert.match(await page.innerText('[data-testid=settings]'), new RegExp(`batchSize\\s+${model.settings.batchSize}`));
    const layers = model.report.layers as Array<{ layer: string; constraints: number; maxBits: number }>;
    assert.ok(layers.length >= 2);
    for (const kind of ['constraints', 'bits']) assert.equal(await page.locator(`[data-testid=chart-${kind}] rect.bar`).count(), layers.length, kind);
    const values = await page.locator('[data-testid=chart-constraints] .bar-value').allTextContents();
    assert.deepEqual(
      values,
      layers.map((l) => l.constraints.toLocaleString('en-US')),
    );
    const bits = await page.locator('[data-testid=chart-bits] .bar-value').allTextContents();
    assert.deepEqual(
      bits.map((b) => Number(b.split(' ')[0])),
      layers.map((l) => l.maxBits),
    );
    // The widest layer's bar is the longest.
    const widths = await page.locator('[data-testid=chart-constraints] rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('width'))));
    assert.equal(
      widths.indexOf(Math.max(...widths)),
      layers.findIndex((l) => l.constraints === Math.max(...layers.map((x) => x.constraints))),
    );
    await shot('3-model');
  });

  test('a proof: live progress to done, the receipt beside onnxruntime, and Verify says valid', async () => {
    await page.fill('#proof-input', JSON.stringify(TINY_INPUT));
    await page.click('#prove');
    await page.waitForSelector('#open-receipt', { timeout: 60_000 });
    assert.match(await page.innerText('[data-testid=job-state]'), /^done/);
    const events = await page.locator('[data-testid=events] li').allInnerTexts();
    assert.match(events[events.length - 1], /done · .* · 100%/);
    await shot('4-proof-job');
    const jobId = page.url().split('/').pop()!;

    await page.click('#open-receipt');
    await page.waitForSelector('[data-testid=outputs]');
    const { receipt } = (await http(server.url, 'GET', `/v1/proofs/${jobId}`, undefined, admin)).body;
    const rows = await page.locator('[data-testid=outputs] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const proved = receipt.outputs.flatMap((t: any) => t.values as number[]);
    const reference = receipt.reference.outputs.flatMap((t: any) => t.values as number[]);
    assert.equal(rows.length, proved.length);
    rows.forEach((r, i) => {
      assert.equal(r[2], proved[i].toPrecision(6), `proved ${i}`);
      assert.equal(r[3], reference[i].toPrecision(6), `onnxruntime ${i}`);
    });
    await page.click('#verify');
    await page.waitForSelector('[data-testid=verdict].valid');
    assert.match(await page.innerText('[data-testid=verdict]'), /^valid/);
    await shot('5-receipt');

    // The downloads are the receipt and the key as the API serves them, and verify offline with nothing else.
    const saved = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return fs.readFileSync((await download.path())!, 'utf8');
    };
    const savedReceipt = JSON.parse(await saved('#download-receipt'));
    assert.deepEqual(savedReceipt, receipt);
    const vkText = await saved('#download-vk');
    assert.deepEqual(JSON.parse(vkText), (await http(server.url, 'GET', `/v1/models/${receipt.model.onnxSha256}/verification_key.json`, undefined, admin)).body);
    const offline = await verifyReceiptWithKey(parseReceipt(savedReceipt, 'the downloaded receipt'), JSON.parse(vkText));
    assert.equal(offline.valid, true, offline.reason);
    assert.ok(
      offline.checked.some((c) => /the key is the one the receipt names/.test(c)),
      `the saved key hashes to the receipt's vkSha256: ${offline.notChecked.join('; ')}`,
    );
  });

  test('a pasted receipt: the genuine one is valid, an edited output is refused naming the field', async () => {
    const jobId = page.url().split('/').pop()!;
    const { receipt } = (await http(server.url, 'GET', `/v1/proofs/${jobId}`, undefined, admin)).body;
    await page.click('nav a[href="#/verify"]');
    const tampered = structuredClone(receipt);
    tampered.outputs[0].values[0] += 1;
    await page.fill('#receipt-json', JSON.stringify(tampered));
    await page.click('#verify');
    await page.waitForSelector('[data-testid=verdict].invalid');
    assert.match(await page.innerText('[data-testid=verdict]'), /^invalid — .*\(RECEIPT_MISMATCH, outputs\[0\]\.values\)/);
    await shot('6-verify-tampered');
    await page.fill('#receipt-json', JSON.stringify(receipt));
    await page.click('#verify');
    await page.waitForSelector('[data-testid=verdict].valid');
    await page.fill('#receipt-json', '{not json');
    await page.click('#verify');
    assert.equal(await page.innerText('[data-testid=verdict]'), 'The receipt is not JSON.');
  });

  test('deployments: the verifier and registry the service deployed, and an on-chain verification', async () => {
    await page.click('nav a[href="#/deployments"]');
    await page.waitForSelector('text=No verifier deployed yet');
    const id = (await http(server.url, 'GET', '/v1/models', undefined, admin)).body[0].id;
    const deployed = await http(server.url, 'POST', `/v1/models/${id}/deploy`, { registry: 'new' }, admin);
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const d = deployed.body.deployment;
    await page.reload();
    const row = await page.waitForSelector('[data-testid=deployments] tbody tr');
    const cells = await row.$$eval('td', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(cells.slice(0, 6), ['tiny', String(d.chainId), d.verifier.address, d.registry.address, d.registry.modelId, d.registry.registerGasUsed]);
    await shot('7-deployments');

    await page.click('nav a[href="#/jobs"]');
    await page.waitForSelector('[data-testid=jobs]');
    await page.click('[data-testid=jobs] a >> nth=0');
    await page.waitForSelector('#open-receipt');
    await page.click('#open-receipt');
    await page.check('#onchain');
    await page.click('#verify');
    await page.waitForSelector('[data-testid=verdict].valid', { timeout: 30_000 });
    assert.match(await page.innerText('[data-testid=verdict]'), new RegExp(`On chain ${d.chainId}, verifier ${d.verifier.address}`));
  });

  test('the jobs page follows a queued proof live to done; signing out, or a revoked key, leaves only the sign-in form', async () => {
    // A batch keeps the one prover thread busy for seconds (tiny proves in about 0.1 s warm), so the
    // proof submitted next from the page is still waiting in the queue when the jobs page shows it.
    const id = (await http(server.url, 'GET', '/v1/models', undefined, admin)).body[0].id;
    assert.equal((await http(server.url, 'POST', '/v1/batches', { modelId: id, inputs: tinyInputs(48) }, admin)).status, 202);
    await page.goto(`${server.url}/dashboard/#/models/${id}`);
    await page.fill('#proof-input', JSON.stringify(TINY_INPUT));
    await page.click('#prove');
    await page.waitForURL(/#\/jobs\/[\w-]+$/);
    const proofId = page.url().split('/').pop()!;
    await page.click('nav a[href="#/jobs"]');
    const row = page.locator('[data-testid=jobs] tbody tr', { has: page.locator(`a[href="#/jobs/${proofId}"]`) });
    assert.match(await row.innerText(), /queued|running/, 'the new proof is not done yet');
    await row.locator('.s-done').waitFor({ timeout: 120_000 });
    assert.match(await row.innerText(), /done · 100%/);
    const rows = await page.locator('[data-testid=jobs] tbody tr').allInnerTexts();
    assert.equal(rows.length, 3, `the compile and this tab's two proofs (not the API's batch): ${rows.join(' | ')}`);
    assert.ok(rows.every((r) => /done/.test(r)) && rows.some((r) => /compile/.test(r)), rows.join(' | '));
    await page.click('#sign-out');
    await page.waitForSelector('#login');
    assert.equal(await page.locator('nav').count(), 0);
    assert.equal(await page.evaluate('sessionStorage.getItem("zkml.apiKey")'), null);
    // A stored key the service no longer accepts (removed from ZKML_API_KEYS): refused at load, and forgotten.
    await page.evaluate('sessionStorage.setItem("zkml.apiKey", "revoked-key-0123456789abcdef")');
    await page.reload();
    assert.match(await (await page.waitForSelector('[data-testid=refusal]')).innerText(), /UNAUTHENTICATED/);
    assert.equal(await page.locator('nav').count(), 0);
    assert.equal(await page.evaluate('sessionStorage.getItem("zkml.apiKey")'), null);
    assert.deepEqual(problems, [], 'no script error nor CSP violation');
  });
});
