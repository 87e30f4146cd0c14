import { h, render } from '/vendor/preact.js';
import { useEffect, useState } from '/vendor/preact-hooks.js';
import htm from '/vendor/htm.js';
import { api, session } from '/api.js';
import { PAGES } from '/pages.js';

const html = htm.bind(h);

function route() {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0] || 'dashboard';
  return PAGES.some((p) => p.id === name) ? name : 'dashboard';
}

function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const who = await api('/whoami', { token: token.trim() });
      session.token = token.trim();
      onSignedIn(who);
    } catch (err) {
      setError(err.status === 429 ? 'Too many failed sign-ins from this address; wait a minute.' : 'That token was not accepted.');
    }
  };
  return html`<form class="signin" onSubmit=${submit}>
    <h1>horizond</h1>
    <p class="muted">Sign in with a console token (console.tokens, or the token file horizond created in its data directory).</p>
    <label>Token <input id="token" type="password" autocomplete="current-password" value=${token} onInput=${(e) => setToken(e.target.value)} /></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <p><button type="submit" id="signin">Sign in</button></p>
  </form>`;
}

function App() {
  const [who, setWho] = useState(null);
  const [checked, setChecked] = useState(false);
  const [page, setPage] = useState(route());
  useEffect(() => {
    const on = () => setPage(route());
    addEventListener('hashchange', on);
    if (session.token) api('/whoami').then(setWho, () => { session.token = null; }).finally(() => setChecked(true));
    else setChecked(true);
    return () => removeEventListener('hashchange', on);
  }, []);
  if (!checked) return null;
  if (!who) return html`<${SignIn} onSignedIn=${setWho} />`;
  const Page = PAGES.find((p) => p.id === page).component;
  const signOut = () => { session.token = null; setWho(null); };
  return html`<header>
      <strong>horizond</strong>
      <nav>${PAGES.map((p) => html`<a href=${'#/' + p.id} class=${p.id === page ? 'active' : ''} id=${'nav-' + p.id}>${p.title}</a>`)}</nav>
      <span class="who">${who.name} (${who.scope}) <button class="secondary" onClick=${signOut}>Sign out</button></span>
    </header>
    <main><${Page} who=${who} /></main>`;
}

render(html`<${App} />`, document.getElementById('app'));
