// The page: pusher-js (the browser build, served by the app) with the app's own auth route.
/* global Pusher */
const $ = (id) => document.getElementById(id)
const status = (text, error = false) => { $('status').textContent = text; $('status').classList.toggle('error', error) }
const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const { user, key } = await (await fetch('/me')).json()

const pusher = new Pusher(key, {
  cluster: 'local', // required by pusher-js, unused with wsHost
  wsHost: window.location.hostname,
  wsPort: Number(window.location.port || 80),
  wssPort: Number(window.location.port || 443),
  forceTLS: window.location.protocol === 'https:',
  enabledTransports: ['ws', 'wss'],
  disableStats: true,
  // The plugin's route; the browser sends the session cookie with it.
  channelAuthorization: { endpoint: '/broadcasting/auth' }
})
pusher.connection.bind('state_change', ({ current }) => { if (current !== 'connected') status(`Connection: ${current}`) })

function addLine (list, from, text) {
  const li = document.createElement('li')
  const who = document.createElement('b')
  who.textContent = from
  li.append(who, text)
  $(list).append(li)
  $(list).scrollTop = $(list).scrollHeight
}

// Messages: a private channel that only signed-in users may join. A visitor's page is refused.
const chat = pusher.subscribe('private-chat')
chat.bind('message', ({ from, text }) => { addLine('messages', from, text) })
chat.bind('pusher:subscription_succeeded', () => { status(`Connected as ${user.name}`) })
chat.bind('pusher:subscription_error', ({ status: code, error }) => {
  status(`private-chat refused (${code}): ${user === null ? 'log in to read the chat' : error}`, true)
})

if (user === null) {
  $('login').hidden = false
  $('login').addEventListener('submit', async (event) => {
    event.preventDefault()
    const response = await post('/login', { name: event.target.name.value })
    if (response.ok) window.location.reload()
    else status((await response.json()).message, true)
  })
} else {
  $('me').textContent = user.name
  $('whoami').hidden = false
  $('chat').hidden = false
  $('logout').addEventListener('click', async () => { await post('/logout', {}); window.location.reload() })

  // Who is online: a presence channel; the route signs each user's id and name into it.
  const room = pusher.subscribe('presence-chat')
  const render = () => {
    const names = []
    room.members.each((member) => { names.push(member) })
    $('online').replaceChildren(...names.sort((a, b) => a.info.name.localeCompare(b.info.name)).map((member) => {
      const li = document.createElement('li')
      li.textContent = member.info.name
      li.dataset.userId = member.id
      return li
    }))
    $('count').textContent = String(room.members.count)
  }
  for (const event of ['pusher:subscription_succeeded', 'pusher:member_added', 'pusher:member_removed']) room.bind(event, render)

  // This user's own inbox: nobody else is authorized to join it.
  pusher.subscribe(`private-user.${user.id}`).bind('mention', ({ from, text }) => { addLine('mentions', from, text) })

  $('chat').addEventListener('submit', async (event) => {
    event.preventDefault()
    const input = event.target.text
    const response = await post('/messages', { text: input.value })
    if (response.ok) input.value = ''
    else status((await response.json()).message, true)
  })
}
