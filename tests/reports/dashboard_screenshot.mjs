// Open the dashboard page in headless Chromium, wait until it has shown the report, and take a screenshot.
//
// Usage: node dashboard_screenshot.mjs < job.json
// The job is {"url", "screenshot", "timeoutMs"?}. The URL carries the SSO
// token in its fragment (#token=...). Every request to a host other than
// this machine is dropped and listed.
//
// Prints one JSON object: {"ok", "state", "status", "chartLoaded",
// "blockedRequests", "pageErrors", "consoleErrors"}; exits 0 when the page
// reached the "ready" state, 1 otherwise. playwright-core is the copy the
// end-to-end tests install in tests/e2e/node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'e2e', 'node', 'package.json'));
const { chromium } = require('playwright-core');

const CHROMIUM_PATH = process.env.E2E_CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLocal(url) {
  const parsed = new URL(url);
  return parsed.protocol === 'data:' || parsed.protocol === 'blob:' || LOOPBACK_HOSTS.has(parsed.hostname);
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, 'utf8'));
  const result = { ok: false, blockedRequests: [], pageErrors: [], consoleErrors: [] };
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30000,
  });
  try {
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) {
        return route.continue();
      }
      result.blockedRequests.push(url);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => result.pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        result.consoleErrors.push(message.text());
      }
    });
    await page.goto(job.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: job.timeoutMs ?? 20000 });
    result.state = await page.evaluate(() => document.body.dataset.state);
    result.status = await page.textContent('#status');
    result.chartLoaded = await page.evaluate(() => document.getElementById('chart').naturalWidth > 0);
    await page.screenshot({ path: job.screenshot, fullPage: true });
    result.ok = result.state === 'ready';
  } catch (error) {
    result.error = String(error);
  } finally {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

main();
