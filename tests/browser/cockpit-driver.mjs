// SPDX-License-Identifier: LGPL-2.1-or-later
// Drives the modctl Cockpit page in Debian's headless chromium (playwright-core, no bundled
// browser). A test orchestrates it over stdin/stdout, one JSON line each way, so that guest
// steps (a load from a shell, a reboot) happen while the page stays open:
//
//   -> {"step": "login", "args": {"user": "alice", "password": "...", "locale": "en-US"}}
//   <- {"ok": true, "result": ...}   or   {"ok": false, "error": "..."}
//
// Usage: node cockpit-driver.mjs BASE_URL SCREENSHOT_DIR   (BASE_URL e.g. http://127.0.0.1:9091)
// With BASE_URL ending in /index.html the page is opened directly (a cockpit-ws
// --local-session for development), without login or the shell around it.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const [base, shots] = process.argv.slice(2);
const TIMEOUT = 120000;
const LOGIN_TIMEOUT = 300000;
let browser = null, context = null, page = null, frame = null;

async function launch(locale) {
    if (browser)
        await browser.close();
    browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               `--lang=${locale}`],
    });
    // A fresh profile per launch (playwright makes a new --user-data-dir each time).
    context = await browser.newContext({ locale, viewport: { width: 1400, height: 1000 } });
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
    page.on('pageerror', e => process.stderr.write(`pageerror: ${e.message}\n`));
    page.on('console', m => {
        if (m.type() === 'error' || m.type() === 'warning')
            process.stderr.write(`console ${m.type()}: ${m.text()}\n`);
    });
}

// What the browser shows when a step fails: a screenshot, the address and the visible text
// (the login page's own error, the shell's "disconnected" curtain), for the test's log.
async function whatIsShown(e, file) {
    let shown = '';
    try {
        await page.screenshot({ path: `${shots}/${file}` });
        const text = await page.evaluate(() => document.body ? document.body.innerText : '');
        shown = `\nat ${page.url()} (screenshot ${shots}/${file}), the page shows:\n${text.slice(0, 1500)}`;
    } catch (e2) {
        shown = `\n(could not read the page: ${e2})`;
    }
    throw new Error(`${e && e.message || e}${shown}`);
}

// The page: in the shell's iframe after a real login, or the document itself.
function root() {
    return frame ?? page;
}

const row = (table, name) => root().locator(`#${table}-body tr[data-module="${name}"]`);

async function catalogState() {
    const body = root().locator('#catalog-body');
    return {
        request: await body.getAttribute('data-request'),
        offset: Number(await body.getAttribute('data-offset')),
        rows: await root().locator('#catalog-body tr[data-module]').evaluateAll(rows => rows.map(r => r.dataset.module)),
        total: Number(await root().locator('#catalog-pagination').getAttribute('data-total')),
        range: await root().locator('#page-range').textContent(),
    };
}

// Do something that asks for a catalog page, and wait until the page has rendered the answer.
async function catalogAfter(action) {
    const before = await root().locator('#catalog-body').getAttribute('data-request');
    await action();
    await root().locator(`#catalog-body[data-request]:not([data-request="${before}"])`).waitFor({ state: 'attached' });
    return await catalogState();
}

const steps = {
    async login({ user, password, locale = 'en-US' }) {
        await launch(locale);
        if (base.endsWith('.html')) {
            await page.goto(base);
            frame = null;
        } else {
            await page.goto(base + '/');
            await page.fill('#login-user-input', user);
            await page.fill('#login-password-input', password);
            await page.click('#login-button');
            // The first login starts the user's session and bridge: on trixie that is Cockpit's
            // Python bridge, which under TCG on a busy host takes longer than a page step.
            await page.waitForSelector('#content', { timeout: LOGIN_TIMEOUT })
                .catch(e => whatIsShown(e, 'login-failed.png'));
            await page.goto(base + '/modctl');
            frame = page.frameLocator('iframe[name="cockpit1:localhost/modctl"]');
        }
        // Ready means the loaded modules and the catalog's first page are shown. On trixie's
        // first visit (2026-12-08, host load 10) the loaded modules were there but the page was
        // not ready after 2 minutes, with no error shown; the likely wait (not established) is
        // the first SearchPage, whose catalog modctld reads from every .ko.xz, under TCG.
        await root().locator('body[data-ready="1"]').waitFor({ timeout: LOGIN_TIMEOUT })
            .catch(e => whatIsShown(e, 'page-not-ready.png'));
        return { title: await root().locator('h1').first().textContent() };
    },

    // Names in the loaded-modules table.
    async loaded() {
        return await root().locator('#loaded-body tr').evaluateAll(rows => rows.map(r => r.dataset.module));
    },

    async waitLoaded({ name, origin }) {
        const r = row('loaded', name);
        await r.waitFor();
        if (origin)
            await r.locator('.modctl-origin', { hasText: origin }).waitFor();
        return { origin: await r.locator('.modctl-origin').textContent() };
    },

    async waitGone({ name }) {
        await row('loaded', name).waitFor({ state: 'detached' });
        return true;
    },

    // The catalog shows one page (SearchPage); each reply it renders bumps data-request.
    async search({ text }) {
        await root().locator('#search-input').fill(text);
        return await catalogAfter(() => root().locator('#search-button').click());
    },

    // The catalog page on screen: its rows, the range and the total the pagination shows.
    async catalog() {
        return await catalogState();
    },

    async pageNext() {
        return await catalogAfter(() => root().locator('#page-next').click());
    },

    // A module's details (Info) from its name in the catalog: field -> value.
    async openDetails({ name }) {
        await row('catalog', name).locator('button[data-action="details"]').click();
        await root().locator('#details').waitFor();
        const fields = await root().locator('#details [data-field]').evaluateAll(items => items.map(i =>
            [i.dataset.field, i.querySelector('dd').textContent]));
        return { fields: Object.fromEntries(fields) };
    },

    // Load from the catalog: the dialog shows the verdicts first; confirm only if asked to.
    async openLoad({ name }) {
        await row('catalog', name).locator('button[data-action="load"]').click();
        await root().locator('#verdicts').waitFor();
        const verdicts = await root().locator('#verdicts tbody tr').evaluateAll(rows => rows.map(r => ({
            module: r.dataset.module, verdict: r.children[1].textContent, taint: r.children[2].textContent,
            reason: r.children[3].textContent })));
        const denial = root().locator('#dialog-body .pf-v5-c-alert');
        return { verdicts, enabled: await root().locator('#confirm-load').isEnabled(),
                 error: await denial.count() ? await denial.first().textContent() : null };
    },

    async confirmLoad() {
        await root().locator('#confirm-load').click();
        await root().locator('#dialog').waitFor({ state: 'hidden', timeout: 60000 }).catch(() => {});
        const err = root().locator('#dialog:not([hidden]) #dialog-body .pf-v5-c-alert');
        return { error: await err.count() ? await err.first().textContent() : null };
    },

    async closeDialog() {
        await root().locator('#dialog-footer button').last().click();
        await root().locator('#dialog').waitFor({ state: 'hidden' });
        return true;
    },

    async openSettings({ name, table = 'loaded' }) {
        await row(table, name).locator('button[data-action="settings"]').click();
        await root().locator('#setting-boot').waitFor({ state: 'attached' });
        return true;
    },

    // Flip a setting in the open settings dialog; returns the error shown, if any.
    async toggle({ kind }) {
        const input = root().locator(`#setting-${kind}`);
        const before = await input.isChecked();
        await root().locator(`label[for="setting-${kind}"]`).click();
        const err = root().locator('#dialog-body .pf-v5-c-alert');
        // The call has returned (the page drops data-busy), and then either the dialog shows the
        // new state or an error.
        await root().locator('#dialog:not([data-busy])').waitFor({ state: 'attached' });
        await Promise.race([
            err.first().waitFor(),
            root().locator(`#setting-${kind}${before ? ':not(:checked)' : ':checked'}`).waitFor(),
        ]);
        return { checked: await input.isChecked(), error: await err.count() ? await err.first().textContent() : null };
    },

    async waitLabel({ name, setting }) {
        await row('loaded', name).locator(`[data-setting="${setting}"]`).waitFor();
        return true;
    },

    async events() {
        return await root().locator('#events li').allTextContents();
    },

    async alerts() {
        return await root().locator('#alerts .pf-v5-c-alert').allTextContents();
    },

    async text({ selector }) {
        return await root().locator(selector).first().textContent();
    },

    async screenshot({ file }) {
        await page.screenshot({ path: `${shots}/${file}` });
        return `${shots}/${file}`;
    },

    async quit() {
        if (browser)
            await browser.close();
        browser = null;
        return true;
    },
};

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
    let reply;
    try {
        const { step, args } = JSON.parse(line);
        if (!steps[step])
            throw new Error(`unknown step ${step}`);
        reply = { ok: true, result: await steps[step](args || {}) };
    } catch (e) {
        reply = { ok: false, error: String(e && e.stack || e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
    if (line.includes('"quit"'))
        break;
}
process.exit(0);
