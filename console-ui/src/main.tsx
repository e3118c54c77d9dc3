/**
 * The debug console's page: the apps, the live log of the chosen app (Server-Sent Events), the trigger form.
 * Bundled by `npm run build` (scripts/build-console.ts) into dist/console-ui/console.js.
 */
import { render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Api } from './api.js'
import { Apps } from './Apps.js'
import { Log } from './Log.js'
import { Ring, type Filters } from './ring.js'
import { Trigger } from './Trigger.js'
import { KINDS, type AppSummary, type Entry, type NodeInfo } from './types.js'

/** Milliseconds between two renders of the log, however fast entries arrive. */
const RENDER_MS = 200

function nodeText (node: NodeInfo | undefined): string {
  if (node === undefined) return ''
  const scope = node.adapter === 'memory' ? 'the whole server' : 'this node only (the other nodes have their own console)'
  return `Node ${node.id.slice(0, 8)}, ${node.adapter} adapter: the log and counts show ${scope}.`
}

function Console ({ api }: { api: Api }) {
  const [apps, setApps] = useState<AppSummary[]>([])
  const [node, setNode] = useState<NodeInfo | undefined>(undefined)
  const [selected, setSelected] = useState<string | undefined>(decodeURIComponent(location.hash.slice(1)) || undefined)
  const [filters, setFilters] = useState<Filters>({ kinds: new Set(KINDS), prefix: '' })
  const [paused, setPaused] = useState(false)
  const [status, setStatus] = useState('connecting…')
  const [entries, setEntries] = useState<Entry[]>([])
  const [error, setError] = useState<string | undefined>(undefined)
  const [missed, setMissed] = useState(0)
  const ring = useRef(new Ring())
  const pausedRef = useRef(false)

  useEffect(() => {
    api.apps().then(({ node, apps }) => {
      setNode(node)
      setApps(apps)
      setSelected((current) => apps.some((a) => a.id === current) ? current : apps[0]?.id)
    }, (e: Error) => { setError(e.message) })
  }, [])

  useEffect(() => {
    if (selected === undefined) return
    history.replaceState(null, '', `#${encodeURIComponent(selected)}`)
    ring.current = new Ring()
    setEntries([])
    const source = api.stream(selected)
    const push = (entry: Entry): void => { ring.current.push(entry) }
    source.addEventListener('open', () => { setStatus('live') })
    source.addEventListener('error', () => {
      // EventSource retries on its own, except after an answer that is not a stream (a 401 once the session ended).
      setStatus(source.readyState === EventSource.CLOSED ? 'disconnected: reload the page to log in again' : 'reconnecting…')
    })
    source.addEventListener('entry', (e) => { push(JSON.parse((e as MessageEvent<string>).data) as Entry) })
    source.addEventListener('dropped', (e) => {
      const { count } = JSON.parse((e as MessageEvent<string>).data) as { count: number }
      push({ time: Date.now(), kind: 'notice', type: 'dropped', count })
    })
    source.addEventListener('stats', (e) => { setApps((JSON.parse((e as MessageEvent<string>).data) as { apps: AppSummary[] }).apps) })
    const timer = setInterval(() => {
      if (ring.current.added === 0) return
      if (pausedRef.current) {
        setMissed(ring.current.added)
        return
      }
      ring.current.added = 0
      setEntries(ring.current.snapshot())
    }, RENDER_MS)
    return () => {
      source.close()
      clearInterval(timer)
    }
  }, [selected])

  const togglePause = (): void => {
    pausedRef.current = !pausedRef.current
    setPaused(pausedRef.current)
    if (!pausedRef.current) {
      ring.current.added = 0
      setMissed(0)
      setEntries(ring.current.snapshot())
    }
  }
  const clear = (): void => {
    ring.current.clear()
    ring.current.added = 0
    setEntries([])
  }

  return (
    <>
      <header>
        <h1>Broadcastt debug console</h1>
        <p class='node'>{nodeText(node)}</p>
        <form method='post' action={`${api.base}/logout`}><button type='submit'>Log out</button></form>
      </header>
      {error !== undefined && <p class='error' role='alert'>{error}</p>}
      <main>
        <div class='side'>
          <Apps apps={apps} selected={selected} onSelect={setSelected} />
          <Trigger api={api} apps={apps} selected={selected} />
        </div>
        <Log
          entries={entries} filters={filters} paused={paused} missed={missed} status={status}
          onFilters={setFilters} onPause={togglePause} onClear={clear}
        />
      </main>
    </>
  )
}

const root = document.getElementById('console')
if (root !== null) {
  root.textContent = ''
  render(<Console api={new Api(root.dataset.base ?? '')} />, root)
}
