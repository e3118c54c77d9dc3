/**
 * The example chat (examples/chat) in a real browser: headless Chromium driven by playwright-core, two
 * logged-in users in two browser contexts and a logged-out visitor. It runs wherever Chromium is installed
 * and never skips under CI=true (.ci/run installs Chromium). `EXAMPLE_SCREENSHOT=docs/example-chat.png`
 * saves the README's screenshot of the page with two users online.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildChat } from '../../examples/chat/app.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'
]

// Chromium starts slowly on a busy machine: more than the suite's 60 s default per file.
t.setTimeout(180_000)

if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
  t.plan(0, `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or install the chromium package)`)
} else {
  t.test('two users chat in the browser; a visitor is refused the private channel', async (t) => {
    const app = await buildChat({ cookieSecret: 'a-test-cookie-secret-of-32-chars!', app: { id: 'chat', key: 'chat-key', secret: 'chat-secret' } })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    t.teardown(() => browser.close())

    const ann = await loggedIn(browser, base, 'Ann')
    const requested: string[] = []
    ann.on('request', (request) => { requested.push(request.url()) })
    await online(ann, 'ann')
    const bob = await loggedIn(browser, base, 'Bob')
    await online(bob, 'ann')
    await online(bob, 'bob')
    await online(ann, 'bob')
    t.pass('each sees the other arrive in the presence list')

    await send(bob, 'hello from Bob')
    await ann.locator('#messages li', { hasText: 'hello from Bob' }).waitFor()
    t.match(await ann.locator('#messages li').last().textContent(), /^Bob\s*hello from Bob$/, 'Bob\'s message reached Ann')
    // Barrier: Bob's message was sent after both joined, so any presence change before it has reached Ann.
    t.equal(await ann.locator('#count').textContent(), '2')
    await send(ann, '@bob psst')
    await bob.locator('#mentions li', { hasText: 'psst' }).waitFor()
    // Barrier: Bob answers after he saw the mention; once Ann has his answer, a mention to her would have come.
    await send(bob, 'got it')
    await ann.locator('#messages li', { hasText: 'got it' }).waitFor()
    t.equal(await ann.locator('#mentions li').count(), 0, 'a mention lands only in the mentioned user\'s private channel')
    if (process.env.EXAMPLE_SCREENSHOT !== undefined) await ann.screenshot({ path: process.env.EXAMPLE_SCREENSHOT })
    await ann.reload()
    await online(ann, 'bob')
    t.ok(requested.some((url) => url.endsWith('/pusher.min.js')), 'the page loads pusher-js from the app')
    t.same(requested.filter((url) => !url.startsWith(base)), [], 'and nothing from anywhere else (no CDN)')

    const visitorContext = await browser.newContext()
    const visitor = await visitorContext.newPage()
    await visitor.goto(base)
    const refusal = visitor.locator('#status.error', { hasText: 'private-chat refused (403)' })
    await refusal.waitFor()
    t.match(await refusal.textContent(), /log in to read the chat/, 'the visitor\'s page shows its subscription error')
    t.equal(await visitor.locator('#online li').count(), 0, 'and sees nobody online')

    await bob.context().close()
    await ann.locator('#online li[data-user-id="bob"]').waitFor({ state: 'detached' })
    t.equal(await ann.locator('#count').textContent(), '1', 'Ann saw Bob leave when his browser closed')
  })
}

async function loggedIn (browser: Browser, base: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } })
  const page = await context.newPage()
  await page.goto(base)
  await page.locator('#login input[name=name]').fill(name)
  await Promise.all([page.waitForEvent('load'), page.locator('#login button').click()])
  await page.locator('#me', { hasText: name }).waitFor()
  return page
}

async function online (page: Page, userId: string): Promise<void> {
  await page.locator(`#online li[data-user-id="${userId}"]`).waitFor()
}

async function send (page: Page, text: string): Promise<void> {
  await page.locator('#chat input[name=text]').fill(text)
  await page.locator('#chat button').click()
}
