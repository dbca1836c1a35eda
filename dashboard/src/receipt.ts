/**
 * A proof's receipt: the outputs decoded from the proof's public signals beside onnxruntime's float
 * figures for the same input, the key's provenance, and a button that asks the service to verify
 * the receipt (POST /v1/verify: the proof, and every claim against the proof and the build).
 */
import { api, explain } from './api.js';
import { badge, facts, fill, h, short, table } from './dom.js';
import type { ModelDetails, ProofJob, Receipt, Tensor, VerifyResult } from './types.js';

export async function receiptPage(view: HTMLElement, id: string): Promise<void> {
  const job = await api<ProofJob>(`/v1/proofs/${id}`);
  const r = job.receipt;
  fill(view, h('h2', {}, 'Receipt of ', h('code', {}, short(job.id)), ' ', badge(job.state)));
  if (!r) return void view.append(h('p', {}, 'No receipt yet: ', h('a', { href: `#/jobs/${job.id}` }, 'follow the job')));
  const model = await api<ModelDetails>(`/v1/models/${r.model.onnxSha256}`).catch(() => null);
  view.append(
    facts([
      ['model', model ? h('a', { href: `#/models/${model.id}` }, model.name) : h('code', {}, r.model.onnxSha256)],
      ['proved', new Date(r.createdAt).toLocaleString()],
      [
        'key',
        `${r.setup.phase2 === 'ceremony' ? `ceremony (${r.setup.phase2Contributions} contributions)` : 'local setup'}${r.setup.devSingleContributor ? ', development ptau (single contributor): not for production' : ''}, ptau 2^${r.setup.ptauPower}${r.setup.ptauPinned ? ' pinned' : ''}`,
      ],
      ['public signals', r.publicSignals.length],
      [
        'timings (ms)',
        Object.entries(r.timings)
          .flatMap(([k, v]) => (typeof v === 'number' ? [`${k.replace(/Ms$/, '')} ${Math.round(v)}`] : []))
          .join(', '),
      ],
    ]),
  );
  if (job.withheld.length) view.append(h('p', { class: 'muted' }, `Withheld from this key: ${job.withheld.join(', ')} (they belong to the key that requested the proof).`));
  if (r.outputs) view.append(h('h3', {}, 'Outputs: proved and onnxruntime'), outputsTable(r.outputs, r.reference?.outputs ?? []));
  if (r.reference)
    view.append(
      facts(
        [
          ['reference engine', r.reference.engine],
          ['max |proved − reference|', `${r.reference.maxAbsError.toPrecision(3)} (tolerance ${r.reference.tolerance.toPrecision(3)})`],
          ['argmax agrees', r.reference.argmaxAgrees === null ? '–' : r.reference.argmaxAgrees ? 'yes' : 'no'],
          ['integer reference matches the circuit', r.reference.integerReferenceMatches ? 'yes' : 'no'],
        ],
        'reference',
      ),
    );
  if (r.publicInputs.length)
    view.append(
      h('h3', {}, 'Public inputs'),
      table(
        ['input', 'shape', 'values'],
        r.publicInputs.map((t) => [t.name, `[${t.shape.join(', ')}]`, t.values.join(', ')]),
      ),
    );
  view.append(verifyBox(r, Boolean(model?.deployment)), downloads(job.id, r));
}

/** The receipt and the model's verification key as files: with them anyone checks the proof offline (`zkml verify receipt.json --vk verification_key.json`). */
function downloads(jobId: string, receipt: Receipt): HTMLElement {
  const status = h('span', { class: 'error' });
  const save = (name: string, value: unknown) => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' }));
    const a = h('a', { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const receiptButton = h('button', { type: 'button', id: 'download-receipt', onclick: () => save(`receipt-${jobId}.json`, receipt) }, 'receipt.json');
  const vkButton = h(
    'button',
    {
      type: 'button',
      id: 'download-vk',
      onclick: () =>
        api(`/v1/models/${receipt.model.onnxSha256}/verification_key.json`).then(
          (vk) => save('verification_key.json', vk),
          (err) => fill(status, explain(err)),
        ),
    },
    'verification_key.json',
  );
  return h(
    'section',
    { class: 'downloads' },
    h('h3', {}, 'Download'),
    h('p', { class: 'muted' }, 'Verify offline with zkml verify receipt.json --vk verification_key.json (docs/verifying.md).'),
    receiptButton,
    ' ',
    vkButton,
    ' ',
    status,
  );
}

function outputsTable(proved: Tensor[], reference: Tensor[]): HTMLTableElement {
  const rows = proved.flatMap((t) => {
    const ref = reference.find((x) => x.name === t.name);
    return t.values.map((v, i) => {
      const f = ref?.values[i];
      return [t.name, i, v.toPrecision(6), f === undefined ? '–' : f.toPrecision(6), f === undefined ? '–' : Math.abs(v - f).toExponential(2)];
    });
  });
  return table(['output', 'index', 'proved (decoded)', 'onnxruntime', '|difference|'], rows, 'outputs');
}

function verifyBox(receipt: unknown, deployed: boolean): HTMLElement {
  const verdict = h('p', { class: 'verdict', 'data-testid': 'verdict', role: 'status' });
  const onchain = h('input', { type: 'checkbox', id: 'onchain' });
  const button = h('button', { type: 'button', id: 'verify' }, 'Verify');
  button.addEventListener('click', () => void verifyInto(verdict, button, receipt, onchain.checked));
  return h('section', { class: 'verify' }, h('h3', {}, 'Verify'), button, deployed ? h('label', {}, onchain, ' also with the deployed verifier contract') : null, verdict);
}

/** POST /v1/verify, its verdict shown in `verdict`: valid, or invalid with the reason, code and field. */
async function verifyInto(verdict: HTMLElement, button: HTMLButtonElement, receipt: unknown, onchain: boolean): Promise<void> {
  button.disabled = true;
  verdict.className = 'verdict';
  fill(verdict, 'verifying…');
  try {
    const v = await api<VerifyResult>('/v1/verify', { body: { receipt, ...(onchain ? { onchain: true } : {}) } });
    verdict.className = `verdict ${v.valid ? 'valid' : 'invalid'}`;
    const where = v.onchain?.address ? ` On chain ${v.onchain.chainId}, verifier ${v.onchain.address}.` : '';
    fill(verdict, v.valid ? 'valid' : 'invalid', ` — ${v.reason}`, v.code ? ` (${v.code}${v.field ? `, ${v.field}` : ''})` : '', where);
  } catch (err) {
    verdict.className = 'verdict invalid';
    fill(verdict, explain(err));
  } finally {
    button.disabled = false;
  }
}

/** A receipt from anywhere (a file, another service's answer), pasted and verified by this service. */
export async function verifyPage(view: HTMLElement): Promise<void> {
  const text = h('textarea', { id: 'receipt-json', rows: 10, spellcheck: 'false', placeholder: '{"format": "zkml-receipt/1", …}', 'aria-label': 'receipt JSON' });
  const verdict = h('p', { class: 'verdict', 'data-testid': 'verdict', role: 'status' });
  const onchain = h('input', { type: 'checkbox', id: 'onchain' });
  const button = h('button', { type: 'button', id: 'verify' }, 'Verify');
  button.addEventListener('click', () => {
    let receipt: unknown;
    try {
      receipt = JSON.parse(text.value);
    } catch {
      verdict.className = 'verdict invalid';
      return fill(verdict, 'The receipt is not JSON.');
    }
    void verifyInto(verdict, button, receipt, onchain.checked);
  });
  fill(
    view,
    h('h2', {}, 'Verify a receipt'),
    h('p', { class: 'muted' }, 'Paste a receipt (zkml prove writes receipt.json; GET /v1/proofs/:id serves one). The service checks the proof and every claim against its build of the model.'),
    text,
    button,
    h('label', {}, onchain, ' also with the deployed verifier contract'),
    verdict,
  );
}
