/**
 * The console in a real browser: headless Chromium driven by playwright-core, as a developer meets it.
 * 401 and a login form without the token; after logging in, the app listed; a `ws` client's subscription
 * shown within 2 s; the trigger form's event received by that client and logged on the page; every input
 * labelled; usable with the keyboard; nothing fetched from another origin; readable at phone width.
 * `CONSOLE_SCREENSHOTS=docs` saves docs/console-laptop.png and docs/console-phone.png. Never skips under CI.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { open } from '../helpers/ws-client.js'
import { TEST_APP } from '../helpers/server.js'
import { startConsole, TOKEN } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'
]
const SHOTS = process.env.CONSOLE_SCREENSHOTS

// Chromium starts slowly on a busy machine: more than the suite's 60 s default per file.
t.setTimeout(180_000)

if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
  t.plan(0, `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or install the chromium package)`)
} else {
  t.test('log in, watch a subscription arrive, trigger an event from the form', async (t) => {
    const server = await startConsole(t, { apps: [{ ...TEST_APP, name: 'development' }] })
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    t.teardown(() => browser.close())
    const page = await newPage(browser, 1280, 860)
    const requested: string[] = []
    page.on('request', (request) => { requested.push(request.url()) })

    const refused = await page.goto(server.base)
    t.equal(refused?.status(), 401, 'without the token: 401')
    const html = await page.content()
    t.notMatch(html, TEST_APP.id, 'and nothing about the apps in the page')
    await page.getByLabel('Console token').fill(TOKEN)
    await Promise.all([page.waitForURL(server.base), page.getByRole('button', { name: 'Log in' }).click()])
    const app = page.locator(`.apps li[data-app-id="${TEST_APP.id}"]`)
    await app.waitFor()
    t.match(await app.textContent(), /development \(test-id\)/, 'the app is listed')
    t.equal(await page.getByLabel('development (test-id)').isChecked(), true, 'and followed')
    await page.locator('.status', { hasText: 'live' }).waitFor()

    const client = await open(t, server.wsUrl())
    await client.subscribe('my-channel')
    // The bound: the page shows the subscription within 2 s.
    await page.locator('.entry[data-type="subscribed"][data-channel="my-channel"]').waitFor({ timeout: 2000 })
    t.pass('the subscription is on the page within 2 s')
    await page.locator('[data-count="subscriptions"]', { hasText: '1' }).waitFor()
    t.pass('and the counts follow')

    // The form, with the keyboard only.
    await page.getByLabel('Channels (comma-separated)').focus()
    await page.keyboard.type('my-channel')
    await page.keyboard.press('Tab')
    await page.keyboard.type('greeting')
    await page.keyboard.press('Tab')
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('{"text": "hello"')
    await page.locator('#t-data-problem', { hasText: 'Not valid JSON' }).waitFor()
    t.equal(await page.getByLabel('Data (JSON)').getAttribute('aria-invalid'), 'true', 'invalid JSON is flagged in the page')
    await page.keyboard.type('}')
    t.equal(await page.locator('#t-data-problem').textContent(), '', 'and accepted once valid')
    await page.keyboard.press('Tab') // socket_id, left empty
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate('document.activeElement.textContent'), 'Trigger', 'Tab leads to the button')
    await page.keyboard.press('Enter')
    const frame = await client.next('greeting')
    t.same(frame.json, { text: 'hello' }, 'the ws client got the event')
    await page.locator('output.answer.ok', { hasText: '"subscription_count": 1' }).waitFor()
    t.pass('the page shows the answer')
    const logged = page.locator('.entry[data-type="event_triggered"][data-channel="my-channel"]')
    await logged.waitFor()
    t.match(await logged.textContent(), /event greeting on my-channel, 17 bytes/, 'and logs the event')
    await logged.locator('summary').click()
    t.match(await logged.locator('pre').textContent(), /"text": "hello"/, 'its data on click')

    client.send('pusher:unsubscribe', { channel: 'my-channel' })
    await page.locator('.entry[data-type="unsubscribed"]').waitFor()
    await page.getByLabel('Channel prefix').fill('nothing-')
    t.equal(await page.locator('.entry').count(), 0, 'the prefix filter hides other channels (and entries without one)')
    await page.getByLabel('Channel prefix').fill('')
    await page.getByLabel('Connections', { exact: true }).uncheck()
    t.equal(await page.locator('.entry.kind-connection').count(), 0, 'the kind filter')
    await page.getByLabel('Connections', { exact: true }).check()
    await page.getByRole('button', { name: 'Pause' }).click()
    const before = await page.locator('.entry').count()
    await client.close()
    await page.locator('.hint', { hasText: /Paused: [1-9]\d* new entries wait/ }).waitFor()
    t.equal(await page.locator('.entry').count(), before, 'paused: the log stands still')
    await page.getByRole('button', { name: 'Resume' }).click()
    await page.locator('.entry[data-type="connection_closed"]').waitFor()
    t.pass('resumed: the entries that waited are shown')

    const unlabelled = await page.locator('input, select, textarea').evaluateAll((elements) =>
      elements.filter((e) => (e as unknown as { labels: ArrayLike<unknown> }).labels.length === 0 && e.getAttribute('aria-label') === null)
        .map((e) => e.outerHTML))
    t.same(unlabelled, [], 'every input has a label')
    t.same(requested.filter((url) => !url.startsWith(`http://127.0.0.1:${server.port}/`)), [], 'nothing from another origin')
    if (SHOTS !== undefined) await page.screenshot({ path: `${SHOTS}/console-laptop.png` })

    const phone = await newPage(browser, 390, 844, page)
    await phone.goto(server.base)
    await phone.locator(`.apps li[data-app-id="${TEST_APP.id}"]`).waitFor()
    await phone.locator('.status', { hasText: 'live' }).waitFor()
    const other = await open(t, server.wsUrl())
    await other.subscribe('news-free')
    await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news-free'], name: 'headline', data: { title: 'A long headline to wrap on a phone' } })
    await phone.locator('.entry[data-type="event_triggered"]').waitFor()
    const overflow = await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')
    t.equal(overflow, 0, 'at phone width, with entries in the log, nothing runs off the side')
    if (SHOTS !== undefined) await phone.screenshot({ path: `${SHOTS}/console-phone.png`, fullPage: true })

    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByLabel('Console token').waitFor()
    t.pass('logging out leads back to the login form')
  })
}

/** A page of its own browser context; `sameSession` shares that page's cookies. */
async function newPage (browser: Browser, width: number, height: number, sameSession?: Page): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 })
  if (sameSession !== undefined) await context.addCookies(await sameSession.context().cookies())
  return await context.newPage()
}
