/** The apps of the server with their counts on this node; choosing one follows its traffic. */
import type { AppSummary } from './types.js'

export function Apps (props: { apps: AppSummary[], selected: string | undefined, onSelect: (id: string) => void }) {
  return (
    <fieldset class='apps'>
      <legend>Apps</legend>
      {props.apps.length === 0 && <p>No apps are configured.</p>}
      <ul>
        {props.apps.map((app) => (
          <li key={app.id} data-app-id={app.id}>
            <label>
              <input
                type='radio' name='app' value={app.id} checked={app.id === props.selected}
                onChange={() => { props.onSelect(app.id) }}
              />
              <span class='app-name'>{app.name === undefined ? app.id : `${app.name} (${app.id})`}</span>
              {!app.enabled && <span class='badge'>disabled</span>}
            </label>
            <p class='counts'>
              key <code>{app.key}</code> ·{' '}
              <span data-count='connections'>{app.connections}</span> connections ·{' '}
              <span data-count='channels'>{app.channels}</span> channels ·{' '}
              <span data-count='subscriptions'>{app.subscriptions}</span> subscriptions
            </p>
          </li>
        ))}
      </ul>
    </fieldset>
  )
}
