/**
 * The dashboard's shell: the sign-in form, the navigation and a hash router over the pages. Until a
 * key is accepted by the API (GET /v1/models answers 200), only the sign-in form is shown; a key the
 * API refuses later (401) signs the tab out.
 */
import { api, ApiError, forgetKey, saveKey, storedKey } from './api.js';
import { deploymentsPage } from './deployments.js';
import { fill, h } from './dom.js';
import { jobPage, jobsPage } from './jobs.js';
import { modelPage, modelsPage } from './models.js';
import { receiptPage, verifyPage } from './receipt.js';

export type Page = (view: HTMLElement, param: string, signal: AbortSignal) => Promise<void>;

const ROUTES: Array<[RegExp, Page]> = [
  [/^#\/models\/([0-9a-f]{64})$/, modelPage],
  [/^#\/jobs\/([\w-]+)$/, jobPage],
  [/^#\/jobs$/, jobsPage],
  [/^#\/receipts\/([\w-]+)$/, receiptPage],
  [/^#\/deployments$/, deploymentsPage],
  [/^#\/verify$/, verifyPage],
  [/^(?:#\/models)?$|^#\/?$/, modelsPage],
];

const app = document.getElementById('app')!;
let current: AbortController | null = null;

function signIn(message?: string): void {
  current?.abort();
  const key = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', required: true, placeholder: 'API key', 'aria-label': 'API key' });
  const button = h('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login',
      id: 'login',
      onsubmit: (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        void tryKey(key.value.trim());
      },
    },
    h('h1', {}, 'zkml dashboard'),
    h('p', { class: 'muted' }, 'Sign in with an API key of the service (ZKML_API_KEYS). It is kept in this tab only.'),
    key,
    button,
    message ? h('p', { class: 'refusal', role: 'alert', 'data-testid': 'refusal' }, message) : null,
  );
  fill(app, form);
  key.focus();
}

async function tryKey(key: string): Promise<void> {
  try {
    await api('/v1/models?limit=1', { key });
  } catch (err) {
    forgetKey(); // a stored key the service no longer accepts goes too
    return signIn(err instanceof ApiError ? `Refused: ${err.message} (${err.code})` : `The service did not answer: ${String(err)}`);
  }
  saveKey(key);
  shell();
}

function shell(): void {
  const nav = h(
    'nav',
    {},
    h('span', { class: 'brand' }, 'zkml'),
    h('a', { href: '#/models' }, 'Models'),
    h('a', { href: '#/jobs' }, 'Jobs'),
    h('a', { href: '#/deployments' }, 'Deployments'),
    h('a', { href: '#/verify' }, 'Verify'),
    h('a', { href: '/docs', target: '_blank', rel: 'noopener' }, 'API'),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        id: 'sign-out',
        onclick: () => {
          forgetKey();
          signIn();
        },
      },
      'Sign out',
    ),
  );
  fill(app, nav, h('main', { id: 'view' }));
  void route();
}

async function route(): Promise<void> {
  const view = document.getElementById('view');
  if (!view || !storedKey()) return;
  current?.abort();
  const ctl = (current = new AbortController());
  const hash = location.hash;
  const found = ROUTES.map(([re, page]) => [re.exec(hash), page] as const).find(([m]) => m);
  for (const a of app.querySelectorAll('nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href') ?? '-'));
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  try {
    if (!found) return fill(view, h('p', { class: 'error' }, `No page ${hash}`));
    await found[1](view, found[0]![1] ?? '', ctl.signal);
  } catch (err) {
    if (ctl.signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) {
      forgetKey();
      return signIn(`Refused: ${err.message} (${err.code})`);
    }
    view.appendChild(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)));
  }
}

window.addEventListener('hashchange', () => void route());

const key = storedKey();
if (key) void tryKey(key);
else signIn();
