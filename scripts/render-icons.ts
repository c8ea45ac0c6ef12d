// Renders extension/build/icon.svg to the extension's PNG icons and the relay's favicon, in
// headless Chromium (the same browser the tests use). Run after changing the SVG:
//   npx tsx scripts/render-icons.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { findChromium } from '../testing/playwright-fixture.ts';

const svg = readFileSync(new URL('../extension/build/icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  for (const size of [16, 32, 48, 128]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`,
    );
    const png = await page.screenshot({ omitBackground: true });
    writeFileSync(new URL(`../extension/public/icon/${size}.png`, import.meta.url), png);
  }
} finally {
  await browser.close();
}
