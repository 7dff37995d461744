/**
 * Helpers for the console's browser tests: Debian's Chromium through playwright-core (no browser
 * download), real JPEG evidence made with sharp, screenshots (into a temp folder; into
 * docs/screenshots with UPDATE_SCREENSHOTS=1), and the page-text scan for raw ids and keys.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { ROOT } from './central-helpers.js';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'cg-console-shots-'));

const WEB = join(ROOT, 'central', 'console', 'web');
const BUILT = join(ROOT, 'central', 'console', 'dist', 'index.html');
const newest = (dir: string): number =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
/** Build the console when its build is missing or older than its source (`npm test` builds first). */
export function ensureConsoleBuilt(): void {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newest(WEB)) return;
  execFileSync('npm', ['run', '--silent', 'console:build'], { cwd: ROOT, stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  ensureConsoleBuilt();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A street-scene-like JPEG; `annotated` draws a labelled detection box as the edge does. */
export async function sceneJpeg(annotated: boolean, label = 'litter 0.87'): Promise<Uint8Array> {
  const W = 640;
  const H = 360;
  const box = annotated
    ? `<rect x="250" y="190" width="120" height="90" fill="none" stroke="#ff2d2d" stroke-width="4"/>
       <rect x="250" y="164" width="150" height="26" fill="#ff2d2d"/>
       <text x="256" y="184" font-family="sans-serif" font-size="18" fill="#fff">${label}</text>`
    : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="#87a9c6"/>
    <rect y="150" width="${W}" height="${H - 150}" fill="#6d6f73"/>
    <rect x="0" y="250" width="${W}" height="8" fill="#e6e6e6"/>
    <rect x="40" y="60" width="140" height="110" fill="#b5835a"/>
    <rect x="470" y="40" width="130" height="130" fill="#9c9c8a"/>
    <ellipse cx="310" cy="245" rx="34" ry="18" fill="#3b6e2f"/>
    ${box}
  </svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer());
}

/** Save a small PNG of the page (CSS pixels, 256-colour palette: the README shows them). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const png = await page.screenshot();
  await sharp(png)
    .png({ palette: true, colours: 256, compressionLevel: 9 })
    .toFile(join(SHOTS, `${name}.png`));
}

/** Sign in through the form, as a person would; answers the page the console landed on. */
export async function signIn(page: Page, base: string, token: string): Promise<string> {
  await page.goto(`${base}/console/`);
  await page.fill('#token', token);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#nav a');
  await page.waitForFunction(() => location.hash.length > 2);
  return new URL(page.url()).hash;
}

/** The text a person reads on the page (visible text, dialogs and toasts included). */
export const visibleText = (page: Page) => page.evaluate(() => document.body.innerText);

/**
 * What must never reach staff: a ULID, one of the given raw ids as a whole word, an i18n key
 * (`evrole.1`, `navQueue`), or JSON. Answers each finding with its context.
 */
export function rawFindings(text: string, ids: string[]): string[] {
  const out: string[] = [];
  const around = (i: number, n: number) => text.slice(Math.max(0, i - 30), i + n + 30).replace(/\s+/g, ' ');
  const scan = (re: RegExp, what: string) => {
    for (const m of text.matchAll(re))
      out.push(`${what} "${m[0]}" in …${around(m.index ?? 0, m[0].length)}…`);
  };
  scan(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, 'ULID');
  scan(/\b[a-z]+\.[a-z_]+\b/g, 'key');
  scan(/\b[a-z]+[A-Z][a-zA-Z]*\b/g, 'camelCase key');
  scan(/[{[]\s*"[^"]*"\s*:/g, 'JSON');
  for (const id of ids) {
    const esc = id.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&');
    scan(new RegExp(`(?<![\\w-])${esc}(?![\\w-])`, 'g'), 'id');
  }
  return out;
}
