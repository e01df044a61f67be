// Headless Chromium (Debian's, through playwright-core) for the tests of our pages: launched with
// its own profile and no network of its own; a watched page records console errors, page errors
// and every request outside `origin`, which it refuses.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

export async function chromiumLaunch(dir: string): Promise<BrowserContext> {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (npm test does)`,
  );
  return chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A new page that refuses every request outside `origin` ("file:" for files); what it saw. */
export async function pageWatched(
  browser: BrowserContext,
  origin: string,
): Promise<{ page: Page; errors: string[]; outside: string[] }> {
  const page = await browser.newPage();
  const outside: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return { page, errors, outside };
}
