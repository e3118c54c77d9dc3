/**
 * The console's two HTML pages: the login form (what anyone without the token gets, with 401: no app data)
 * and the console's shell, which loads the bundle built from console-ui/ and then asks the API for
 * everything it shows. Both are static apart from the console's base path, and are served with a strict
 * Content-Security-Policy: scripts, styles and connections to this origin only, no inline code.
 */

/** Headers of every console page and API answer. */
export const SECURITY_HEADERS = Object.freeze({
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store'
})

/** Text made safe for an HTML attribute or element (the base path comes from the options). */
export function escapeHtml (text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

function layout (base: string, title: string, body: string): string {
  const b = escapeHtml(base)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${b}/assets/console.css">
</head>
<body>
${body}
</body>
</html>
`
}

/** The login form; `failed` adds the message of a wrong token. */
export function loginPage (base: string, failed: boolean): string {
  const b = escapeHtml(base)
  const error = failed ? '<p class="error" role="alert">That token is not the console\'s token.</p>\n' : ''
  return layout(base, 'Broadcastt console: log in', `<main class="login">
<h1>Broadcastt debug console</h1>
${error}<form method="post" action="${b}/login">
<label for="token">Console token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
</main>`)
}

/** The console's shell: the bundle renders into `#console` and reads its base path from `data-base`. */
export function consolePage (base: string): string {
  const b = escapeHtml(base)
  return layout(base, 'Broadcastt console', `<div id="console" data-base="${b}"><p>Loading the console…</p></div>
<script type="module" src="${b}/assets/console.js"></script>`)
}
