/**
 * Two nodes on the Redis adapter. With a host's store, `appChanged(id)` on one node reaches the other
 * through the `app_changed` message between nodes; with PostgreSQL every node hears the trigger itself.
 * Either way each change applies on both nodes within 2 s.
 */
import t from 'tap'
import type { AppInput } from '../../src/index.js'
import { startCluster } from '../helpers/cluster.js'
import { DATABASE_URL } from '../helpers/postgres.js'
import { receiver } from '../webhooks/receiver.js'
import { FakeStore, hostBackend } from './fake-store.js'
import { pgSetup } from './pg-setup.js'
import { changeSettings, disable, remove, rotateSecret } from './scenarios.js'

const apps: AppInput[] = ['rotate', 'settings', 'disable', 'remove'].map((id) =>
  ({ id, key: `${id}-key`, secret: `${id}-secret`, clientEvents: true }))
const [rotate, settings, disabled, removed] = apps as [AppInput, AppInput, AppInput, AppInput]

t.test('a host store: appChanged on one node applies on both', async (t) => {
  const store = new FakeStore(apps)
  const [a, b] = await startCluster(t, 2, { apps: [], appStore: store })
  if (a === undefined || b === undefined) throw new Error('two nodes')
  const backend = hostBackend(store, a.app)
  await t.test('secret', async (t) => { await rotateSecret(t, backend, [a, b], rotate) })
  await t.test('settings', async (t) => { await changeSettings(t, backend, [a, b], settings, await receiver(t)) })
  await t.test('disabled', async (t) => { await disable(t, backend, [a, b], disabled) })
  await t.test('deleted', async (t) => { await remove(t, backend, [a, b], removed) })
})

t.test('PostgreSQL: every node hears the trigger', async (t) => {
  const { table, backend } = await pgSetup(t, apps)
  const [a, b] = await startCluster(t, 2, { apps: [], appStore: { type: 'postgres', url: DATABASE_URL, table } })
  if (a === undefined || b === undefined) throw new Error('two nodes')
  await t.test('secret', async (t) => { await rotateSecret(t, backend, [a, b], rotate) })
  await t.test('disabled', async (t) => { await disable(t, backend, [a, b], disabled) })
  await t.test('deleted', async (t) => { await remove(t, backend, [a, b], removed) })
})
