/** On-chain deployments: each model's verifier (and registry entry) as the service stored them, and those the build's manifest records. */
import { api } from './api.js';
import { fill, h, table } from './dom.js';
import type { ModelDetails, ModelSummary } from './types.js';

export async function deploymentsPage(view: HTMLElement): Promise<void> {
  const models = await Promise.all(
    (await api<ModelSummary[]>('/v1/models?limit=1000')).filter((m) => m.status === 'ready' || m.status === 'stopped').map((m) => api<ModelDetails>(`/v1/models/${m.id}`)),
  );
  const rows = models.flatMap((m) => {
    const d = m.deployment;
    const stored = d
      ? [
          [
            m.name,
            d.chainId,
            h('code', {}, d.verifier.address),
            d.registry ? h('code', {}, d.registry.address) : '–',
            d.registry?.modelId ?? '–',
            d.registry?.registerGasUsed ?? '–',
            new Date(d.deployedAt).toLocaleString(),
          ],
        ]
      : [];
    const recorded = (m.manifest?.deployments ?? []).filter((x) => x.address !== d?.verifier.address).map((x) => [m.name, x.chainId, h('code', {}, x.address), '–', '–', '–', 'in the manifest']);
    return [...stored, ...recorded];
  });
  fill(
    view,
    h('h2', {}, 'Deployments'),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No verifier deployed yet: POST /v1/models/:id/deploy (admin; {"registry": "new"} also deploys a ZkmlRegistry), or zkml registry register.')
      : table(['model', 'chain', 'verifier', 'registry', 'registry model id', 'register gas', 'deployed'], rows, 'deployments'),
  );
}
