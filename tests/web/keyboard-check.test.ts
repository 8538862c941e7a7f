import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyboardUnreachable, launchChromium } from '../helpers/browser';

// The page tests' keyboard check must itself catch a control Tab skips, or it proves nothing.
describe('the keyboard reachability check', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it('passes a page whose controls are all in the tab order and names one taken out of it; hidden and disabled controls do not count', async () => {
    const page = await browser.newPage();
    await page.setContent(`<a href="#x">first</a><input id="name" aria-label="name"><select aria-label="pick"><option>a</option></select><button hidden>hidden</button><button disabled>off</button><button id="last">last</button>`);
    expect(await keyboardUnreachable(page)).toEqual([]);
    await page.setContent(`<a href="#x">first</a><button id="skipped" tabindex="-1">skipped by Tab</button><button>reached</button>`);
    expect(await keyboardUnreachable(page)).toEqual(["button#skipped 'skipped by Tab'"]);
    await page.close();
  });
});
