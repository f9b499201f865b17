/**
 * The console's files (web/dist, built by `npm run build`), served by the API process at `/`
 * (docs/console.md, "Serving"). Hashed assets are cached for a year; index.html is revalidated
 * every time and answers every other path that is not the API's, so the console's own addresses
 * (/apps/shop/config) load directly. Every document goes out with a strict Content-Security-Policy.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction } from 'express';

/** web/dist beside the compiled code (dist/api/static.js → <repo>/web/dist). */
export const CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'web', 'dist');

/**
 * No inline script or style, nothing from another origin, no framing, no plugins. `connect-src
 * 'self'` covers the API and the event stream, which share the console's origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
}

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>Slipway</title><p>The console is not built on this installation. Run <code>npm run build</code> (scripts/install does), then reload.</p>';

export function consoleFiles(dir: string = CONSOLE_DIR): express.Router {
  const router = express.Router();
  const assets = express.static(path.join(dir, 'assets'), {
    index: false, fallthrough: false, immutable: true, maxAge: '365d',
    setHeaders: (res) => { res.setHeader('x-content-type-options', 'nosniff'); },
  });
  router.use('/assets', (req: Request, res: Response, next: NextFunction) => {
    // A missing asset is a 404, never index.html: a stale page must not run HTML as a script.
    assets(req, res, (error?: unknown) => {
      if (error) { res.status(404).type('text/plain').send('Not found'); return; }
      next();
    });
  });

  const indexFile = path.join(dir, 'index.html');
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { next(); return; }
    if (req.path === '/api' || req.path.startsWith('/api/')) { next(); return; }
    // Other files at the top of dist (favicon.svg): served if there, with the same headers.
    const file = path.join(dir, path.normalize(req.path));
    const topLevel = file.startsWith(dir + path.sep) && path.dirname(file) === dir && path.basename(file) !== 'index.html';
    securityHeaders(res);
    if (topLevel && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.setHeader('cache-control', 'public, max-age=3600');
      res.sendFile(file);
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    if (!fs.existsSync(indexFile)) { res.status(503).type('html').send(NOT_BUILT); return; }
    res.type('html').sendFile(indexFile);
  });
  return router;
}
