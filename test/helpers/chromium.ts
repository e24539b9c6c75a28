/**
 * Debian's Chromium, headless, driven by playwright-core: opens a page from
 * a file, records every request it makes and every text drawn on a canvas
 * (speedscope draws frame names on canvases), and takes a screenshot.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * playwright-core needs Node 20 and exits the process when loaded on an older
 * one (the privileged container runs Debian bookworm's Node 18): tests that
 * drive Chromium run where it can load, and say why where it cannot.
 */
export const CHROMIUM_TESTS = Number(process.versions.node.split('.')[0]) >= 20;
export const chromiumTest = CHROMIUM_TESTS ? test : test.skip;
export const WHY_NOT = CHROMIUM_TESTS
  ? ''
  : ` (skipped: playwright-core needs Node 20, this is Node ${process.versions.node})`;

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Keeps every text drawn on a 2D canvas, in window.__pytraceDrawn. */
const RECORD_DRAWN_TEXT = `(() => {
  const drawn = new Set();
  window.__pytraceDrawn = drawn;
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    drawn.add(String(text));
    return fillText.call(this, text, ...rest);
  };
})();`;

export interface PageVisit {
  requests: string[];
  drawnText: string[];
  errors: string[];
  /** What the page logged. */
  console: string[];
  title: string;
}

/** Opens `file`, waits until `ready` (a text drawn) or `ms`, saves a screenshot to `png`. */
export async function visitPage(
  file: string,
  png: string,
  ready: (drawn: string[]) => boolean,
  ms = 20000,
): Promise<PageVisit> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-chromium-'));
  const { chromium } = (await import('playwright-core')) as typeof import('playwright-core');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    const errors: string[] = [];
    const logged: string[] = [];
    page.on('console', (m) => logged.push(m.text()));
    // Every request of the page and its workers, whatever its scheme.
    context.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    // Page code as text: the tests are compiled without the DOM's types.
    await page.addInitScript({ content: RECORD_DRAWN_TEXT });
    await page.goto('file://' + file);
    const drawnText = async () => (await page.evaluate('[...window.__pytraceDrawn]')) as string[];
    const end = Date.now() + ms;
    while (!ready(await drawnText()) && Date.now() < end) await page.waitForTimeout(200);
    fs.mkdirSync(path.dirname(png), { recursive: true });
    await page.screenshot({ path: png });
    return { requests, drawnText: await drawnText(), errors, console: logged, title: await page.title() };
  } finally {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
}
