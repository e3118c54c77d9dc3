/** The trigger form: the same request as the REST API's POST /events, checked by the same rules on the server. */
import { useState } from 'preact/hooks'
import type { Answer, Api } from './api.js'
import type { AppSummary } from './types.js'

/** Why the data is not JSON, or undefined when it is. */
export function jsonProblem (text: string): string | undefined {
  try {
    JSON.parse(text)
    return undefined
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`
  }
}

function answerText (answer: Answer): string {
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2)
  return `HTTP ${answer.status}\n${body}`
}

export function Trigger (props: { api: Api, apps: AppSummary[], selected: string | undefined }) {
  const [app, setApp] = useState<string | undefined>(undefined)
  const [data, setData] = useState('{"message":"hello"}')
  const [answer, setAnswer] = useState<{ ok: boolean, text: string } | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const appId = app ?? props.selected ?? props.apps[0]?.id ?? ''
  const problem = jsonProblem(data)

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    if (problem !== undefined) {
      (form.elements.namedItem('data') as HTMLTextAreaElement).focus()
      return
    }
    const field = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement).value.trim()
    const channels = field('channels').split(',').map((c) => c.trim()).filter((c) => c !== '')
    const socketId = field('socket_id')
    setBusy(true)
    try {
      const result = await props.api.trigger(appId, {
        name: field('name'), channels, data, info: 'subscription_count', ...(socketId === '' ? {} : { socket_id: socketId })
      })
      setAnswer({ ok: result.status === 200, text: answerText(result) })
    } catch (error) {
      setAnswer({ ok: false, text: `The request failed: ${(error as Error).message}` })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class='trigger' onSubmit={(e) => { void submit(e) }} aria-labelledby='trigger-title'>
      <h2 id='trigger-title'>Trigger an event</h2>
      <label for='t-app'>App</label>
      <select id='t-app' name='app' value={appId} onChange={(e) => { setApp((e.currentTarget as HTMLSelectElement).value) }}>
        {props.apps.map((a) => <option key={a.id} value={a.id}>{a.id}</option>)}
      </select>
      <label for='t-channels'>Channels <span class='help'>(comma-separated)</span></label>
      <input id='t-channels' name='channels' required spellcheck={false} placeholder='my-channel' />
      <label for='t-name'>Event name</label>
      <input id='t-name' name='name' required spellcheck={false} placeholder='my-event' />
      <label for='t-data'>Data (JSON)</label>
      <textarea
        id='t-data' name='data' rows={5} spellcheck={false} value={data} aria-invalid={problem !== undefined}
        aria-describedby='t-data-problem' onInput={(e) => { setData((e.currentTarget as HTMLTextAreaElement).value) }}
      />
      <p id='t-data-problem' class='problem' aria-live='polite'>{problem ?? ''}</p>
      <label for='t-socket'>Exclude socket_id <span class='help'>(optional)</span></label>
      <input id='t-socket' name='socket_id' spellcheck={false} placeholder='1234.5678' />
      <button type='submit' disabled={busy || appId === ''}>Trigger</button>
      <output
        class={answer === undefined ? 'answer' : answer.ok ? 'answer ok' : 'answer failed'} for='t-app t-channels t-name t-data t-socket'
        aria-live='polite'
      >{answer?.text ?? ''}
      </output>
    </form>
  )
}
