/**
 * The status page in a real browser: Debian's Chromium, driven by playwright-core, opens the
 * samples' / (as a browser does, Accept: text/html) on a host running in this process, and sees a
 * background service go from running to stopped as the page polls. The screenshot is kept in
 * packages/samples/test-output/ (a CI artifact).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackgroundService, systemTimeProvider } from '@hostkit/core';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppRuntime } from '../../src/app.ts';
import { HonoServerService } from '@hostkit/adapters/hono';
import { tempDir, testAppRuntime, testConfig } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test-output');

/** Runs until the test lets it finish. */
class Demo extends BackgroundService {
  #finish: () => void = () => undefined;
  readonly #finished = new Promise<void>((resolve) => {
    this.#finish = resolve;
  });
  finish(): void {
    this.#finish();
  }
  protected override async execute(stopping: AbortSignal): Promise<void> {
    await Promise.race([this.#finished, new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }))]);
  }
}

const runtime: AppRuntime = testAppRuntime(systemTimeProvider);

describe('the status page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows each service with its state, the channel and the health checks, and a service going from running to stopped', async () => {
    await using dir = await tempDir();
    const demo = new Demo();
    const builder = createApp(testConfig(dir.path, { services: new Set(['cleanup', 'files']) }), runtime);
    builder.services.addHostedService(Demo, () => demo);
    const host = builder.build();
    await host.start();
    try {
      const url = host.services.get(HonoServerService).url ?? '';
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const response = await page.goto(`${url}/`);
      expect(response?.headers()['content-type']).toMatch(/^text\/html; charset=utf-8$/i);
      const state = (service: string, value: string) => page.locator(`tr[data-service="${service}"] .state[data-state="${value}"]`);
      await state('Demo', 'running').waitFor({ timeout: 30_000 });
      await state('CleanupService', 'running').waitFor({ timeout: 30_000 });
      await page.locator('tr[data-channel="files"]').waitFor({ timeout: 30_000 });
      await page.locator('tr[data-check="hostkit.readiness"] .state[data-state="healthy"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('tr[data-service="CleanupService"] td').nth(3).textContent()).toMatch(/\S/);

      demo.finish();
      await state('Demo', 'stopped').waitFor({ timeout: 30_000 });
      expect(await page.locator('#live').getAttribute('class')).toBe('');
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, 'status-page.png'), fullPage: true });
      await page.close();
    } finally {
      await host.stop();
      await host.dispose();
    }
  }, 90_000);
});
