/** The live log: filters, pause, and the last entries (an entry with data opens on click or Enter). */
import { details, describe, time } from './format.js'
import { LOG_LIMIT, visible, type Filters } from './ring.js'
import { KIND_LABELS, KINDS, type Entry, type Kind } from './types.js'

interface LogProps {
  entries: Entry[]
  filters: Filters
  paused: boolean
  missed: number
  status: string
  onFilters: (filters: Filters) => void
  onPause: () => void
  onClear: () => void
}

function toggle (set: ReadonlySet<Kind>, kind: Kind): Set<Kind> {
  const next = new Set(set)
  if (next.has(kind)) next.delete(kind)
  else next.add(kind)
  return next
}

function Row ({ entry }: { entry: Entry }) {
  const text = describe(entry)
  const more = details(entry)
  const attrs = { class: `entry kind-${entry.kind}`, 'data-type': entry.type, 'data-channel': (entry.channels ?? [entry.channel]).join(',') }
  const head = <><time>{time(entry.time)}</time> <span class='kind'>{entry.kind.replace('_', ' ')}</span> <span class='text'>{text}</span></>
  if (more === undefined) return <li {...attrs}>{head}</li>
  return <li {...attrs}><details><summary>{head}</summary><pre>{more}</pre></details></li>
}

export function Log (props: LogProps) {
  const { filters } = props
  const shown = props.entries.filter((entry) => visible(entry, filters)).reverse()
  return (
    <section class='log' aria-labelledby='log-title'>
      <h2 id='log-title'>Live log <span class='status' role='status'>{props.status}</span></h2>
      <div class='controls'>
        <fieldset class='kinds'>
          <legend>Show</legend>
          {KINDS.map((kind) => (
            <label key={kind}>
              <input
                type='checkbox' checked={filters.kinds.has(kind)}
                onChange={() => { props.onFilters({ ...filters, kinds: toggle(filters.kinds, kind) }) }}
              />
              {KIND_LABELS[kind]}
            </label>
          ))}
        </fieldset>
        <label class='prefix'>
          Channel prefix
          <input
            type='search' value={filters.prefix} placeholder='e.g. presence-' spellcheck={false}
            onInput={(e) => { props.onFilters({ ...filters, prefix: (e.currentTarget as HTMLInputElement).value }) }}
          />
        </label>
        <div class='buttons'>
          <button type='button' aria-pressed={props.paused} onClick={props.onPause}>{props.paused ? 'Resume' : 'Pause'}</button>
          <button type='button' onClick={props.onClear}>Clear</button>
        </div>
      </div>
      <p class='hint'>
        {props.paused ? `Paused: ${props.missed} new entries wait. ` : ''}
        Showing {shown.length} of the last {LOG_LIMIT} entries, newest first.
      </p>
      <ol class='entries' aria-live='off'>
        {shown.map((entry) => <Row key={entry.seq} entry={entry} />)}
      </ol>
    </section>
  )
}
