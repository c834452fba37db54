// The playground page's script: new chat messages arrive as server-rendered fragments over
// server-sent events; taps, typed messages and the sandbox controls are POSTed back with the
// session's CSRF token. Plain browser JavaScript, served as is: there is nothing to build.
(() => {
  const root = document.getElementById('playground');
  if (!root) return;
  const csrf = root.dataset.csrf ?? '';
  const lang = root.dataset.lang ?? 'en';
  const status = document.getElementById('status');
  const offline = document.getElementById('offline');
  const logs = { tg: document.getElementById('tg-log'), wa: document.getElementById('wa-log') };

  const post = async (path, body) => {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, 'x-playground-lang': lang },
      body: JSON.stringify(body ?? {}),
    });
    const answer = await response.json().catch(() => ({}));
    // A token from before a restart of the engine: the page itself is out of date.
    if (response.status === 403) window.location.reload();
    return { ok: response.ok, answer };
  };

  const lastId = (pane) => {
    const items = logs[pane]?.querySelectorAll('li[data-id]') ?? [];
    const last = items[items.length - 1];
    return last ? Number(last.getAttribute('data-id')) : 0;
  };

  const show = ({ pane, id, html }) => {
    const log = logs[pane];
    if (!log || document.getElementById(`${pane}-${id}`)) return;
    log.insertAdjacentHTML('beforeend', html);
    log.scrollTop = log.scrollHeight;
  };

  const connect = () => {
    const source = new EventSource(`/playground/events?tg=${lastId('tg')}&wa=${lastId('wa')}`);
    source.addEventListener('entry', (event) => show(JSON.parse(event.data)));
    source.addEventListener('open', () => {
      if (offline) offline.hidden = true;
    });
    source.addEventListener('error', () => {
      if (offline) offline.hidden = false;
      // EventSource retries by itself; a stream closed for good is opened again with fresh ids.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  };

  const paneOf = (element) => element.closest('[data-pane]')?.getAttribute('data-pane');

  document.addEventListener('click', async (event) => {
    const target = event.target instanceof Element ? event.target.closest('button') : null;
    if (!target) return;
    const pane = paneOf(target);
    if (target.dataset.entry !== undefined && pane) {
      await post(`/playground/chat/${pane}`, {
        type: 'press',
        entryId: Number(target.dataset.entry),
        index: Number(target.dataset.index),
      });
    } else if (target.dataset.contact !== undefined && pane) {
      await post(`/playground/chat/${pane}`, { type: 'contact' });
    } else if (target.dataset.book !== undefined && pane) {
      await post(`/playground/chat/${pane}`, { type: 'text', text: '/start' });
    } else if (target.dataset.control === 'new-client') {
      const { ok } = await post('/playground/new-client');
      if (ok) window.location.reload();
    } else if (target.dataset.control) {
      target.disabled = true;
      if (status) status.textContent = '…';
      try {
        const { answer } = await post(`/playground/controls/${target.dataset.control}`);
        if (status) status.textContent = answer.message ?? answer.error ?? '';
        const now = document.querySelector('[data-control="birthday-now"]');
        if (now instanceof HTMLButtonElement) now.hidden = answer.offerNow !== true;
      } finally {
        target.disabled = false;
      }
    }
  });

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('compose')) return;
    event.preventDefault();
    const input = form.elements.namedItem('text');
    const pane = form.dataset.pane;
    if (!(input instanceof HTMLInputElement) || !pane || input.value.trim() === '') return;
    const text = input.value;
    input.value = '';
    await post(`/playground/chat/${pane}`, { type: 'text', text });
    input.focus();
  });

  for (const log of Object.values(logs)) if (log) log.scrollTop = log.scrollHeight;
  connect();
})();
