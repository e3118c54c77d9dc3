/** The option errors docs/webhooks.md quotes are the messages the server prints for those mistakes. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { resolveOptions } from '../../src/options.js'

const DOC = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8')

const failure = (webhooks: unknown[]): string => {
  try {
    resolveOptions({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks }] })
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('accepted')
}

t.test('the quoted messages are printed as quoted', async (t) => {
  const good = { url: 'https://hooks.example.com/', eventTypes: ['channel_occupied'] }
  for (const message of [failure([good, { ...good, eventTypes: ['channel_occupy'] }]), failure([{ ...good, url: 'ftp://x/' }])]) {
    t.ok(DOC.includes(`\`${message}\``), message)
  }
})
