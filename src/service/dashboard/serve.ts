/**
 * The web dashboard's files under /dashboard: a fixed list (no file-system lookup from the URL, so
 * nothing else can be reached), each with a CSP that allows only this origin's scripts, styles and
 * fetches. The pages hold no data: every figure is fetched from /v1 with the API key the user types
 * in, so serving the files needs no key (docs/dashboard.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { packageRoot } from '../../package-root';

export const DASHBOARD_PATH = '/dashboard';

/** Only this origin: no inline script or style, no eval, no framing, no form posts elsewhere. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** URL name → file: the page and stylesheet from dashboard/, the modules tsc compiled to dist/dashboard/. */
function dashboardFiles(): Map<string, string> {
  const root = packageRoot();
  const files = new Map<string, string>([
    ['/', path.join(root, 'dashboard', 'index.html')],
    ['/style.css', path.join(root, 'dashboard', 'style.css')],
  ]);
  const built = path.join(root, 'dist', 'dashboard');
  if (fs.existsSync(built)) for (const f of fs.readdirSync(built)) if (f.endsWith('.js')) files.set(`/${f}`, path.join(built, f));
  return files;
}

/** Express middleware serving /dashboard/*; anything else passes through to the API. */
export function dashboard(): (req: Request, res: Response, next: NextFunction) => void {
  const files = dashboardFiles();
  return (req, res, next) => {
    if (req.path !== DASHBOARD_PATH && !req.path.startsWith(`${DASHBOARD_PATH}/`)) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // Relative module URLs need the trailing slash.
    if (req.path === DASHBOARD_PATH) return res.redirect(301, `${DASHBOARD_PATH}/`);
    const file = files.get(req.path.slice(DASHBOARD_PATH.length));
    if (!file || !fs.existsSync(file)) return next();
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.send(fs.readFileSync(file));
  };
}
