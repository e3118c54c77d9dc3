/**
 * The webhook options: validated by the one options schema with errors naming the field, defaults filled,
 * and the standalone config example (with webhooks) loads.
 */
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config/load.js'
import { resolveOptions, WEBHOOK_DEFAULTS } from '../../src/options.js'

const app = { id: 'a', key: 'k', secret: 's' }

t.test('defaults: no webhooks, and the documented delivery knobs', async (t) => {
  const options = resolveOptions({ apps: [app] })
  t.same(options.apps[0]?.webhooks, [])
  t.same(options.webhookDelivery, WEBHOOK_DEFAULTS)
  t.match(WEBHOOK_DEFAULTS, { batchMs: 50, batchSize: 100, debounceMs: 3000, timeoutMs: 10_000, retryHorizonMs: 300_000 })
  const hook = { url: 'https://example.com/hook', eventTypes: ['cache_miss'] }
  const custom = resolveOptions({ apps: [{ ...app, webhooks: [hook] }], webhookDelivery: { retryHorizonMs: 1000 } })
  t.same(custom.apps[0]?.webhooks, [hook])
  t.equal(custom.webhookDelivery.retryHorizonMs, 1000)
  t.equal(custom.webhookDelivery.batchMs, 50, 'other knobs keep their defaults')
})

t.test('errors name the field', async (t) => {
  const hook = { url: 'https://example.com/hook', eventTypes: ['channel_occupied'] }
  const cases: Array<[unknown, RegExp]> = [
    [[{ ...hook, url: 'ftp://example.com' }], /^options\.apps\[0\]\.webhooks\[0\]\.url: Expected string to match/],
    [[{ ...hook, url: 'http://exa mple.com' }], /^options\.apps\[0\]\.webhooks\[0\]\.url/],
    [[hook, { ...hook, url: 'http://[::1' }], /^options\.apps\[0\]\.webhooks\[1\]\.url: not a valid URL$/],
    [[{ url: hook.url }], /^options\.apps\[0\]\.webhooks\[0\]\.eventTypes: required$/],
    [[{ ...hook, eventTypes: [] }], /^options\.apps\[0\]\.webhooks\[0\]\.eventTypes/],
    [[{ ...hook, eventTypes: ['channel_occupied', 'nope'] }], /^options\.apps\[0\]\.webhooks\[0\]\.eventTypes\[1\]/],
    [[{ ...hook, filter: { channelNameStartsWith: 1 } }], /^options\.apps\[0\]\.webhooks\[0\]\.filter\.channelNameStartsWith: Expected string$/],
    [[{ ...hook, filter: { prefix: 'x' } }], /^options\.apps\[0\]\.webhooks\[0\]\.filter/],
    [[{ ...hook, headers: { 'Bad Header': 'x' } }], /^options\.apps\[0\]\.webhooks\[0\]\.headers/],
    [[{ ...hook, headers: { 'X-Ok': 1 } }], /^options\.apps\[0\]\.webhooks\[0\]\.headers\.X-Ok: Expected string$/],
    [[{ ...hook, secret: 'x' }], /^options\.apps\[0\]\.webhooks\[0\]/]
  ]
  for (const [webhooks, message] of cases) {
    t.throws(() => resolveOptions({ apps: [{ ...app, webhooks }] }), { code: 'FST_BROADCASTT_INVALID_OPTIONS', message }, JSON.stringify(webhooks))
  }
  t.throws(() => resolveOptions({ apps: [app], webhookDelivery: { timeoutMs: 0 } }), { message: /^options\.webhookDelivery\.timeoutMs/ })
  t.throws(() => resolveOptions({ apps: [app], webhookDelivery: { retries: 3 } }), { message: /^options\.webhookDelivery/ })
})

t.test('the standalone config example, with webhooks, loads', async (t) => {
  const file = fileURLToPath(new URL('../../examples/config/broadcastt.json', import.meta.url))
  const config = loadConfig(['--config', file], {})
  t.equal(config.options.apps[0]?.webhooks.length, 2)
  t.match(config.options.apps[0]?.webhooks[1], { eventTypes: ['client_event'], filter: { channelNameStartsWith: 'private-chat-' } })
})
