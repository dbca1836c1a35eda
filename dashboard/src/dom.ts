/**
 * Building the page with DOM calls only: text is always set as text (never parsed as HTML), so
 * names and values from the API cannot inject markup, and the CSP needs no 'unsafe-inline'.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A two-column table of name → value. */
export function facts(rows: Array<[string, Child]>, testid?: string): HTMLTableElement {
  return h('table', { class: 'facts', 'data-testid': testid }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

/** A table with a header row. */
export function table(head: string[], rows: Child[][], testid?: string): HTMLTableElement {
  return h(
    'table',
    { class: 'grid', 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export const badge = (status: string): HTMLSpanElement => h('span', { class: `badge s-${status.replace(/[^a-z]/g, '')}`, 'data-testid': 'status' }, status);
export const short = (id: string): string => (id.length > 16 ? `${id.slice(0, 12)}…` : id);
export const fmt = (n: number): string => n.toLocaleString('en-US');
