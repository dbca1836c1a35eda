/** The models page (list) and one model: status, settings, per-layer charts, the prove form. */
import { api, explain } from './api.js';
import { barChart } from './charts.js';
import { badge, facts, fill, fmt, h, short, table } from './dom.js';
import { ended, follow, rememberJob } from './jobs.js';
import type { CompileReport, ModelDetails, ModelSummary } from './types.js';

export async function modelsPage(view: HTMLElement): Promise<void> {
  const models = await api<ModelSummary[]>('/v1/models?limit=1000');
  fill(
    view,
    h('h2', {}, 'Models'),
    models.length === 0
      ? h('p', { class: 'muted' }, 'No models yet: upload one with POST /v1/models (admin).')
      : table(
          ['name', 'status', 'id', 'visibility (in / out / weights)', 'batch', 'added'],
          models.map((m) => [
            h('a', { href: `#/models/${m.id}`, 'data-testid': 'model-link' }, m.name),
            badge(m.status),
            h('code', { title: m.id }, short(m.id)),
            m.settings ? `${m.settings.inputVisibility} / ${m.settings.outputVisibility} / ${m.settings.weightVisibility}` : '–',
            m.settings ? String(m.settings.batchSize) : '–',
            new Date(m.createdAt).toLocaleString(),
          ]),
          'models',
        ),
  );
}

export async function modelPage(view: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const m = await api<ModelDetails>(`/v1/models/${id}`);
  const actions = h('div', { class: 'actions' });
  const compile = h('span', { 'data-testid': 'compile-job' });
  if (m.compileJob) {
    const job = m.compileJob;
    fill(compile, h('a', { href: `#/jobs/${job.id}` }, `${job.state} · ${job.phase} · ${job.percent}%`));
    // While it compiles, the progress is live, and the page is drawn again with the build when it ends.
    if (!ended(job.state))
      follow(job.id, compile, signal, () => {
        if (!signal.aborted) modelPage(view, id, signal).catch((err) => view.append(h('p', { class: 'error', role: 'alert' }, explain(err))));
      });
  }
  fill(
    view,
    h('h2', {}, m.name, ' ', badge(m.status)),
    facts([
      ['id', h('code', {}, m.id)],
      ['added', new Date(m.createdAt).toLocaleString()],
      ['compile job', m.compileJob ? compile : '–'],
      ['deployment', m.deployment ? h('a', { href: '#/deployments' }, `chain ${m.deployment.chainId}, verifier ${m.deployment.verifier.address}`) : 'not deployed'],
    ]),
    m.error ? h('p', { class: 'error' }, `${m.error.code}: ${m.error.message}`) : null,
    actions,
  );
  if (m.status === 'uploaded' || m.status === 'failed' || m.status === 'stopped') actions.appendChild(compileButton(m, actions));
  if (m.settings)
    view.append(
      h('h3', {}, 'Settings'),
      facts(
        Object.entries(m.settings).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
        'settings',
      ),
    );
  if (m.report) view.append(...reportSection(m.report));
  if (m.publicLayout)
    view.append(
      h('h3', {}, 'Public signals'),
      table(
        ['kind', 'name', 'shape', 'scale bits', 'signals'],
        m.publicLayout.map((e) => [e.kind, e.name, `[${e.shape.join(', ')}]`, e.scaleBits, e.size]),
      ),
    );
  if (m.status === 'ready') view.append(proveForm(m));
}

function compileButton(m: ModelDetails, actions: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', id: 'compile' }, m.status === 'uploaded' ? 'Compile and set up' : 'Compile again');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { jobId } = await api<{ jobId: string }>(`/v1/models/${m.id}/compile`, { body: {} });
      rememberJob({ id: jobId, kind: 'compile', modelId: m.id });
      location.hash = `#/jobs/${jobId}`;
    } catch (err) {
      button.disabled = false;
      actions.appendChild(h('p', { class: 'error', role: 'alert' }, explain(err)));
    }
  });
  return button;
}

/** The build report: totals, then constraints and bit widths per layer as bar charts, and the outputs' error bounds. */
function reportSection(r: CompileReport): Node[] {
  const label = (l: { layer: string; opType: string }) => `${l.layer} (${l.opType})`;
  return [
    h('h3', {}, 'Build report'),
    facts([
      ['constraints', r.constraints !== undefined ? `${fmt(r.constraints)} (predicted ${fmt(r.predictedConstraints)})` : `${fmt(r.predictedConstraints)} predicted`],
      ['public signals', r.publicSignals ?? '–'],
      ['layers', r.layers.length],
      ['inferences per proof', r.batchSize],
      ['gas (predicted)', r.gas ? `verifyProof ${fmt(r.gas.verifyProof)}, registry submitInference ${fmt(r.gas.submitInference)}` : '–'],
    ]),
    h(
      'div',
      { class: 'charts' },
      barChart(
        'Constraints per layer',
        r.layers.map((l) => ({ label: label(l), value: l.constraints })),
        { kind: 'constraints', unit: 'constraints' },
      ),
      barChart(
        'Widest range check per layer (bits, of the 254-bit field)',
        r.layers.map((l) => ({ label: label(l), value: l.maxBits, text: `${l.maxBits} bits (scale 2^${l.scaleBits})` })),
        { kind: 'bits', max: 254, unit: '' },
      ),
    ),
    h('h4', {}, 'Outputs'),
    table(
      ['output', 'shape', 'scale bits', 'error bound', 'calibration max error'],
      r.outputs.map((o) => [o.name, `[${o.shape.join(', ')}]`, o.scaleBits, o.errorBound.toPrecision(3), o.calibrationMaxError?.toPrecision(3) ?? '–']),
    ),
    ...(r.warnings?.length ? [h('ul', { class: 'warnings' }, ...r.warnings.map((w) => h('li', {}, w)))] : []),
  ];
}

function proveForm(m: ModelDetails): HTMLElement {
  const input = h('textarea', { id: 'proof-input', rows: 4, spellcheck: 'false', placeholder: '{"input_data": [[0.1, -0.2, 0.3, 0.4]]}', 'aria-label': 'input JSON' });
  const status = h('p', { class: 'muted' });
  const form = h(
    'form',
    {
      class: 'prove',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        let body: unknown;
        try {
          body = { modelId: m.id, input: JSON.parse(input.value) };
        } catch {
          return fill(status, h('span', { class: 'error' }, 'The input is not JSON.'));
        }
        try {
          const { id } = await api<{ id: string }>('/v1/proofs', { body });
          rememberJob({ id, kind: 'prove', modelId: m.id });
          location.hash = `#/jobs/${id}`;
        } catch (err) {
          fill(status, h('span', { class: 'error', role: 'alert' }, explain(err)));
        }
      },
    },
    h('h3', {}, 'Prove an inference'),
    h('p', { class: 'muted' }, 'The input document as zkml prove takes it: {"<graph input>": [[…]]}.'),
    input,
    h('button', { type: 'submit', id: 'prove' }, 'Prove'),
    status,
  );
  return form;
}
