// The Supervisor dashboard: one page, hash routes, the service's own API (signed in by an http-only cookie) and
// server-sent events. Every text from the API goes into the page as text, never as markup.
'use strict';

const STATES = ['Submitted', 'AwaitingApproval', 'Dispatched', 'Running', 'RetryScheduled', 'Paused', 'Succeeded', 'Failed', 'Cancelled', 'Rejected'];
const ROLES = ['viewer', 'submitter', 'approver', 'admin'];
// The task verbs: who may use each, and the states it applies to (as the API checks them).
const VERBS = {
  approve: { role: 'approver', from: ['AwaitingApproval'], style: 'primary' },
  reject: { role: 'approver', from: ['AwaitingApproval'], style: 'danger' },
  cancel: { role: 'submitter', from: ['Submitted', 'AwaitingApproval', 'Dispatched', 'Running', 'RetryScheduled', 'Paused'], style: 'danger' },
  pause: { role: 'submitter', from: ['Dispatched', 'Running', 'RetryScheduled'] },
  resume: { role: 'submitter', from: ['Paused'] },
  retry: { role: 'submitter', from: ['Failed', 'Cancelled', 'Rejected'] },
};
const PAGE_SIZE = 50;

let me = { name: '', role: 'viewer' };
let current = null; // the view on screen: { refresh(), dispose() }

// ---- helpers -------------------------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// Empties an element and fills it with children (nested arrays flattened, null and false left out).
function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

function may(role) { return ROLES.indexOf(me.role) >= ROLES.indexOf(role); }

class ApiError extends Error {
  constructor(status, body) {
    super(describeProblem(status, body));
    this.status = status;
  }
}

function describeProblem(status, body) {
  if (body && typeof body === 'object') {
    const errors = body.errors ? Object.entries(body.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`) : [];
    return [body.title, body.detail, ...errors].filter(Boolean).join(' ') || `HTTP ${status}`;
  }
  return (body && String(body).trim()) || `HTTP ${status}`;
}

async function api(path, body) {
  const init = { credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-Supervisor-Dashboard'] = '1';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    location.assign('/sign-in');
    throw new ApiError(401, 'Signed out.');
  }
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function stateBadge(state) { return h('span', { class: `state ${state}` }, state); }

function shortId(id) { return id.slice(0, 8); }

function taskLink(id, text) { return h('a', { href: `#/tasks/${id}` }, text || shortId(id)); }

function time(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  const at = new Date(value);
  return h('time', { datetime: at.toISOString(), title: at.toLocaleString() }, ago(at));
}

function ago(at) {
  const seconds = Math.round((Date.now() - at.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : `${Math.floor(s / 86400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

function duration(from, to) {
  if (!from) return '';
  const ms = (to ? new Date(to) : new Date()) - new Date(from);
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([term, value]) => [h('dt', null, term), h('dd', null, value)]));
}

function labelsText(labels) { return Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join(' '); }

function money(value) { return value === null || value === undefined ? null : `$${Number(value).toFixed(4)}`; }

function usageText(usage) {
  if (!usage) return null;
  const parts = [];
  if (usage.inputTokens !== null && usage.inputTokens !== undefined) parts.push(`${usage.inputTokens} in`);
  if (usage.outputTokens !== null && usage.outputTokens !== undefined) parts.push(`${usage.outputTokens} out`);
  const tokens = parts.length ? `${parts.join(', ')} tokens` : '';
  return [tokens, money(usage.costUsd)].filter(Boolean).join(' · ');
}

// An account's spend: today's and this month's, each against its budget where one is set.
function budgetText(budgets) {
  if (!budgets) return '';
  const part = (name, b) => (b.usd !== null ? `${name} ${money(b.spentUsd)} of ${money(b.usd)}${b.reached ? ' (reached)' : ''}` : b.spentUsd > 0 ? `${name} ${money(b.spentUsd)}` : '');
  const parts = [part('today', budgets.daily), part('this month', budgets.monthly)].filter(Boolean);
  return parts.length ? ` · ${parts.join(', ')}` : '';
}

// Text that may hold terminal escapes, as the output pane shows it.
function terminalText(text, className) {
  const pre = h('pre', { class: className || '' });
  new Terminal(pre).write(text);
  return pre;
}

// A command's body with the reason typed into `input`, when there is one.
function withReason(input) { return input.value.trim() ? { reason: input.value.trim() } : {}; }

// Sends a command, says in `result` what it did (`describe` of the answer) or why the API refused it (after `label`), then
// reads the view again. True when it was accepted.
async function command(result, label, path, body, describe, refresh) {
  let accepted = false;
  try {
    say(result, describe(await api(path, body)), true);
    accepted = true;
  } catch (e) {
    say(result, `${label}: ${e.message}`, false);
  }
  await refresh();
  return accepted;
}

function show(view, title) {
  const main = document.getElementById('view');
  fill(main, view);
  document.title = `${title} · Supervisor`;
}

function answer() { return h('p', { class: 'answer', role: 'status', 'aria-live': 'polite' }); }

function say(element, text, ok) {
  element.textContent = text;
  element.className = `answer ${ok ? 'ok' : 'error'}`;
}

// ---- terminal colours ------------------------------------------------------------------------------------------------

// Turns output with ANSI escape sequences into spans: SGR colours and styles are kept, every other sequence dropped.
class Terminal {
  constructor(target) { this.target = target; this.style = {}; }

  write(text, stream) {
    const pattern = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>]/g;
    let last = 0;
    for (let match; (match = pattern.exec(text));) {
      this.span(text.slice(last, match.index), stream);
      if (match[2] === 'm') this.sgr(match[1]);
      last = pattern.lastIndex;
    }
    this.span(text.slice(last), stream);
  }

  sgr(params) {
    const codes = params === '' ? [0] : params.split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) this.style = {};
      else if (code === 1) this.style.bold = true;
      else if (code === 2) this.style.dim = true;
      else if (code === 3) this.style.italic = true;
      else if (code === 4) this.style.underline = true;
      else if (code === 22) { delete this.style.bold; delete this.style.dim; }
      else if (code === 23) delete this.style.italic;
      else if (code === 24) delete this.style.underline;
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) this.style.fg = code;
      else if (code === 39) delete this.style.fg;
      else if (code >= 40 && code <= 47) this.style.bg = code;
      else if (code === 49) delete this.style.bg;
      else if (code === 38 || code === 48) i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0; // 256 and true colours: skipped
    }
  }

  span(text, stream) {
    if (!text) return;
    const classes = [];
    if (stream === 'stderr') classes.push('stderr');
    if (this.style.bold) classes.push('ansi-bold');
    if (this.style.dim) classes.push('ansi-dim');
    if (this.style.italic) classes.push('ansi-italic');
    if (this.style.underline) classes.push('ansi-underline');
    if (this.style.fg) classes.push(`fg-${this.style.fg}`);
    if (this.style.bg) classes.push(`bg-${this.style.bg}`);
    this.target.append(classes.length ? h('span', { class: classes.join(' ') }, text) : document.createTextNode(text));
  }
}

// ---- live updates --------------------------------------------------------------------------------------------------

let refreshTimer = null;

function listen() {
  const live = document.getElementById('live');
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => { live.textContent = 'live'; });
  events.addEventListener('error', () => { live.textContent = 'reconnecting…'; });
  events.addEventListener('changed', () => {
    live.textContent = 'live';
    // Several changes in a burst make one read.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => current && current.refresh && current.refresh(), 300);
  });
}

// ---- tasks ---------------------------------------------------------------------------------------------------------

function tasksView(query) {
  const filter = {
    state: query.get('state') || '', agent: query.get('agent') || '', label: query.get('label') || '', text: query.get('text') || '',
  };
  const before = query.get('before') || '';
  const params = () => {
    const p = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) if (value) p.set(key, value);
    return p;
  };
  const go = (extra) => {
    const p = params();
    for (const [key, value] of Object.entries(extra || {})) if (value) p.set(key, value); else p.delete(key);
    location.hash = `#/tasks${p.toString() ? `?${p}` : ''}`;
  };

  const agentSelect = h('select', { id: 'filter-agent', name: 'agent' }, h('option', { value: '' }, 'any'));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(form);
    filter.state = data.get('state'); filter.agent = data.get('agent'); filter.label = data.get('label').trim(); filter.text = data.get('text').trim();
    go();
  } },
  h('div', null, h('label', { for: 'filter-state' }, 'State'),
    h('select', { id: 'filter-state', name: 'state' }, h('option', { value: '' }, 'any'), STATES.map((s) => h('option', { value: s, selected: s === filter.state }, s)))),
  h('div', null, h('label', { for: 'filter-agent' }, 'Agent'), agentSelect),
  h('div', null, h('label', { for: 'filter-label' }, 'Label (key or key=value)'), h('input', { id: 'filter-label', name: 'label', maxlength: 200, value: filter.label })),
  h('div', null, h('label', { for: 'filter-text' }, 'Prompt contains'), h('input', { id: 'filter-text', name: 'text', type: 'search', maxlength: 200, value: filter.text })),
  h('button', { type: 'submit' }, 'Filter'));

  api('/api/agents').then((agents) => {
    for (const agent of agents) agentSelect.append(h('option', { value: agent.name, selected: agent.name === filter.agent }, agent.name));
    if (filter.agent && !agents.some((a) => a.name === filter.agent)) agentSelect.append(h('option', { value: filter.agent, selected: true }, filter.agent));
  }).catch(() => {});

  const counts = h('ul', { class: 'counts', 'aria-label': 'Tasks per state' });
  const body = h('tbody');
  const error = answer();
  const pager = h('div', { class: 'pager' });
  const view = h('section', null, h('h1', null, 'Tasks'), form, counts, error,
    h('table', { id: 'tasks' }, h('caption', { class: 'skip' }, 'Tasks, newest first'),
      h('thead', null, h('tr', null, ['Task', 'State', 'Agent', 'Prompt', 'Labels', 'Created', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))), body),
    pager);

  async function refresh() {
    try {
      const countParams = params();
      countParams.delete('state');
      const [byState, tasks] = await Promise.all([
        api(`/api/tasks/counts?${countParams}`),
        api(`/api/tasks?${params()}&limit=${PAGE_SIZE}${before ? `&before=${before}` : ''}`),
      ]);
      const total = Object.values(byState).reduce((a, b) => a + b, 0);
      fill(counts, 
        h('li', null, h('button', { type: 'button', 'aria-pressed': String(!filter.state), onclick: () => { filter.state = ''; go(); } }, `All ${total}`)),
        STATES.filter((s) => byState[s] > 0 || s === filter.state).map((s) => h('li', null,
          h('button', { type: 'button', 'aria-pressed': String(s === filter.state), 'data-state': s, onclick: () => { filter.state = s; go(); } }, `${s} ${byState[s]}`))));
      fill(body, ...tasks.map((t) => h('tr', { 'data-task': t.id },
        h('td', { class: 'mono' }, taskLink(t.id)),
        h('td', null, stateBadge(t.state)),
        h('td', null, t.currentAgent || t.agents.join(' → ')),
        h('td', { class: 'prompt', title: t.prompt }, t.prompt),
        h('td', { class: 'mono' }, labelsText(t.labels)),
        h('td', null, time(t.createdAt)),
        h('td', null, time(t.updatedAt)))));
      if (tasks.length === 0) body.append(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No task matches.')));
      fill(pager, 
        before ? h('button', { type: 'button', onclick: () => go({ before: '' }) }, '← Newest') : '',
        tasks.length === PAGE_SIZE ? h('button', { type: 'button', onclick: () => go({ before: tasks[tasks.length - 1].id }) }, 'Older →') : '');
      error.textContent = '';
    } catch (e) {
      say(error, e.message, false);
    }
  }

  show(view, 'Tasks');
  refresh();
  return { refresh };
}

// ---- one task ------------------------------------------------------------------------------------------------------

function taskView(id) {
  const heading = h('h1', null, `Task ${shortId(id)}`);
  const reason = h('input', { id: 'reason', name: 'reason', maxlength: 2000, placeholder: 'Why (kept on the audit trail)' });
  const buttons = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const result = answer();
  const details = h('div');
  const output = h('pre', { class: 'output', id: 'output', tabindex: '0', 'aria-label': 'Output' });
  const outputState = h('p', { class: 'muted', id: 'output-state' }, 'Connecting to the output…');
  const actions = h('section', { 'aria-label': 'Actions' }, buttons, result);
  const view = h('section', null, heading, actions, details, h('h2', null, 'Output'), outputState, output);
  let task = null;

  async function act(verb) {
    for (const b of buttons.querySelectorAll('button')) b.disabled = true;
    const done = await command(result, verb, `/api/tasks/${id}/${verb}`, withReason(reason),
      (accepted) => `${verb}: accepted; the task is ${accepted.state}${accepted.stopped === true ? ' and its agent is stopped' : ''}.`, refresh);
    if (done) reason.value = '';
  }

  // Drawn again only when the commands that apply change: a live refresh must not take the reason field away (and its
  // focus, and text typed into it at that moment) while someone is typing.
  let shownVerbs = null;
  function renderButtons() {
    const usable = Object.entries(VERBS).filter(([, verb]) => may(verb.role) && verb.from.includes(task.state));
    const verbs = usable.map(([name]) => name).join(' ');
    if (verbs === shownVerbs) {
      for (const b of buttons.querySelectorAll('button')) b.disabled = false;
      return;
    }
    shownVerbs = verbs;
    fill(buttons);
    if (usable.length === 0) return;
    append(buttons, [h('div', { class: 'field' }, h('label', { for: 'reason' }, 'Reason'), reason),
      usable.map(([name, verb]) => h('button', { type: 'button', class: verb.style || '', 'data-verb': name, onclick: () => act(name) },
        name[0].toUpperCase() + name.slice(1)))]);
  }

  function render() {
    fill(heading, `Task ${shortId(task.id)} `, stateBadge(task.state));
    renderButtons();
    const r = task.result;
    const waiting = task.waiting;
    fill(details, 
      h('div', { class: 'panel' }, h('pre', { class: 'prompt-text' }, task.prompt)),
      facts([
        ['Id', h('code', null, task.id)],
        ['Risk', task.risk],
        ['Labels', labelsText(task.labels)],
        ['Repository', task.repository ? [task.repository.url || task.repository.path, task.repository.baseRef ? ` @ ${task.repository.baseRef}` : ''].join('') : null],
        ['Submitted by', task.submittedBy],
        ['Created', time(task.createdAt)],
        ['Runs at', task.runAt ? time(task.runAt) : null],
        ['Updated', time(task.updatedAt)],
        ['Finished', task.finishedAt ? time(task.finishedAt) : null],
        ['Waiting', waiting ? [waiting.message || waiting.reason, waiting.until ? [' until ', time(waiting.until)] : ''] : null],
        ['Error', task.error ? h('span', { class: 'error' }, task.error) : null],
        ['Budget', task.budget ? `${money(task.budget.spentUsd)} spent of ${task.budget.maxCostUsd !== null ? money(task.budget.maxCostUsd) : 'no limit'}` : null],
      ]),
      h('h2', null, 'Chain'),
      h('ol', { class: 'chain', 'aria-label': 'Agent chain' }, task.agents.map((agent) => h('li', { 'aria-current': agent === task.currentAgent ? 'step' : null }, agent))),
      h('h2', null, 'Attempts'),
      task.attempts.length === 0 ? h('p', { class: 'muted' }, 'No attempt yet.')
        : h('ol', { class: 'timeline', id: 'attempts' }, task.attempts.map((a) => h('li', null,
          h('div', { class: 'head' }, `#${a.number} · ${a.agent}`, a.model ? ` (${a.model})` : '', ' ',
            a.errorClass ? h('span', { class: 'badge bad' }, a.errorClass) : a.finishedAt ? h('span', { class: 'badge ok' }, 'ok') : a.startedAt ? h('span', { class: 'badge warn' }, 'running') : h('span', { class: 'badge' }, 'waiting'),
            a.workerLost ? [' ', h('span', { class: 'badge bad' }, 'worker lost')] : ''),
          facts([
            ['Worker', a.worker ? `${a.worker}${a.host ? ` on ${a.host}` : ''}` : null],
            ['Account', a.account],
            ['Started', a.startedAt ? time(a.startedAt) : null],
            ['Finished', a.finishedAt ? [time(a.finishedAt), ` after ${duration(a.startedAt, a.finishedAt)}`] : a.startedAt ? `running for ${duration(a.startedAt)}` : null],
            ['Exit code', a.exitCode],
            ['Message', a.message],
            ['Next retry', a.nextRetryAt ? time(a.nextRetryAt) : null],
            ['Usage', usageText(a.usage)],
            ['Branch', a.branch],
          ])))),
      h('h2', null, 'Result'),
      r ? facts([
        ['Agent', r.agent],
        ['Branch', r.branch ? h('code', null, r.branch) : null],
        ['Commit', r.commit ? h('code', null, r.commit) : null],
        ['Diff', r.diffStat ? h('pre', null, r.diffStat) : null],
        ['Remote', r.remote],
        ['Compare', r.link ? h('a', { href: r.link, rel: 'noopener noreferrer', target: '_blank' }, r.link) : null],
        ['Pull request', r.pullRequest ? h('a', { href: r.pullRequest, rel: 'noopener noreferrer', target: '_blank' }, r.pullRequest) : null],
        ['Summary', r.summary ? terminalText(r.summary, 'output') : null],
      ]) : h('p', { class: 'muted' }, 'No result yet.'),
      h('h2', null, 'Usage and cost'),
      task.usage ? h('p', { id: 'usage' }, usageText(task.usage)) : h('p', { class: 'muted' }, 'None reported.'),
      h('h2', null, 'Transitions'),
      h('table', { id: 'transitions' },
        h('thead', null, h('tr', null, ['When', 'From', 'To', 'Event', 'By', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, task.transitions.map((t) => h('tr', null,
          h('td', null, time(t.at)), h('td', null, t.from), h('td', null, t.to), h('td', null, t.event), h('td', null, t.by || ''), h('td', null, t.reason || ''))))));
  }

  async function refresh() {
    try {
      task = await api(`/api/tasks/${id}`);
      render();
    } catch (e) {
      if (!task) fill(details, h('p', { class: 'error', role: 'alert' }, e.message));
      else say(result, e.message, false);
    }
  }

  // The output as it is stored: each chunk once, in order, with the terminal's colours.
  const terminal = new Terminal(output);
  const seen = new Set();
  let attempt = null;
  let stream = null;
  function follow() {
    stream = new EventSource(`/api/tasks/${id}/logs?follow=true`);
    stream.addEventListener('open', () => { outputState.textContent = 'Streaming…'; });
    stream.addEventListener('chunk', (event) => {
      const chunk = JSON.parse(event.data);
      const key = `${chunk.attempt}/${chunk.sequence}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (chunk.attempt !== attempt) {
        attempt = chunk.attempt;
        terminal.style = {};
        output.append(h('span', { class: 'ansi-dim' }, `${output.childNodes.length ? '\n' : ''}── attempt ${attempt} ──\n`));
      }
      const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      terminal.write(chunk.text, chunk.stream);
      if (atBottom) output.scrollTop = output.scrollHeight;
    });
    stream.addEventListener('end', (event) => {
      const end = JSON.parse(event.data);
      outputState.textContent = `The task ended${end.state ? ` (${end.state})` : ''}; this is all of its output.`;
      stream.close();
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CLOSED) {
        outputState.textContent = 'The output stream closed; reopen the page to follow it again.';
      } else {
        outputState.textContent = 'Reconnecting to the output…';
      }
    });
  }

  show(view, `Task ${shortId(id)}`);
  refresh();
  follow();
  return { refresh, dispose: () => stream && stream.close() };
}

// ---- approvals -----------------------------------------------------------------------------------------------------

function approvalsView() {
  const reason = h('input', { id: 'approval-reason', maxlength: 2000, placeholder: 'Why (kept on each task\'s audit trail)' });
  const body = h('tbody');
  const result = answer();
  const view = h('section', null, h('h1', null, 'Approvals'),
    h('p', null, 'Tasks that wait for a person\'s decision, oldest first.'),
    may('approver') ? h('div', { class: 'actions' }, h('div', { class: 'field' }, h('label', { for: 'approval-reason' }, 'Reason'), reason)) : '',
    result,
    h('table', { id: 'approvals' },
      h('thead', null, h('tr', null, ['Task', 'Risk', 'Waiting for', 'Agent', 'Prompt', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'skip' }, 'Decision'))))),
      body));

  const decide = (id, verb) => command(result, shortId(id), `/api/tasks/${id}/${verb}`, withReason(reason),
    (accepted) => `${shortId(id)} ${verb === 'approve' ? 'approved' : 'rejected'}; it is ${accepted.state}.`, refresh);

  async function refresh() {
    try {
      const tasks = (await api('/api/tasks?state=AwaitingApproval&limit=1000')).reverse();
      fill(body, ...tasks.map((t) => h('tr', { 'data-task': t.id },
        h('td', { class: 'mono' }, taskLink(t.id)),
        h('td', null, t.risk || '—'),
        h('td', null, time(t.updatedAt)),
        h('td', null, t.currentAgent || t.agents.join(' → ')),
        h('td', { class: 'prompt', title: t.prompt }, t.prompt),
        h('td', null, may('approver') ? [
          h('button', { type: 'button', class: 'primary', 'data-verb': 'approve', 'aria-label': `Approve ${shortId(t.id)}`, onclick: () => decide(t.id, 'approve') }, 'Approve'), ' ',
          h('button', { type: 'button', class: 'danger', 'data-verb': 'reject', 'aria-label': `Reject ${shortId(t.id)}`, onclick: () => decide(t.id, 'reject') }, 'Reject'),
        ] : ''))));
      if (tasks.length === 0) body.append(h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'Nothing waits for a decision.')));
    } catch (e) {
      say(result, e.message, false);
    }
  }

  show(view, 'Approvals');
  refresh();
  return { refresh };
}

// ---- fleet ---------------------------------------------------------------------------------------------------------

function fleetView() {
  const agentsPart = h('div');
  const workersPart = h('div');
  const deadPart = h('div');
  const result = answer();
  const view = h('section', null, h('h1', null, 'Fleet'), result,
    h('h2', null, 'Agents'), agentsPart, h('h2', null, 'Workers'), workersPart, h('h2', null, 'Dead letters'), deadPart);

  const redrive = (queue) => command(result, queue, '/api/dead-letters/redrive', { queue, all: true },
    (done) => `${done.redriven} message(s) of ${queue} went back to ${done.source}.`, refresh);

  async function refresh() {
    let agents;
    try {
      agents = await api('/api/agents');
    } catch (e) {
      say(result, e.message, false);
      return;
    }
    fill(agentsPart, h('table', { id: 'agents' },
      h('thead', null, h('tr', null, ['Agent', 'Isolation', 'Fallback', 'In use', 'Queue', 'Workers', 'Accounts'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, agents.map((a) => {
        const live = a.workers.filter((w) => !w.lost);
        const running = live.reduce((n, w) => n + w.running, 0);
        const capacity = live.reduce((n, w) => n + w.capacity, 0);
        return h('tr', { 'data-agent': a.name },
          h('td', null, h('strong', null, a.name), a.command ? h('div', { class: 'muted mono' }, a.command) : ''),
          h('td', null, a.isolation),
          h('td', null, a.fallback || '—'),
          h('td', null, `${running} of ${capacity} slots`),
          h('td', null, a.queueDepth === null ? 'unknown' : String(a.queueDepth)),
          h('td', null, `${live.length}${a.workers.length > live.length ? ` (+${a.workers.length - live.length} lost)` : ''}`),
          h('td', null, a.accounts.length === 0 ? '—' : a.accounts.map((c) => h('div', null,
            h('span', { class: `badge ${c.state === 'ok' ? 'ok' : c.state === 'blocked' || c.state === 'budgetReached' ? 'bad' : 'warn'}` }, c.state), ' ',
            h('code', null, c.id),
            c.until ? [' until ', time(c.until)] : '',
            c.maxConcurrent ? ` · ${c.running}/${c.maxConcurrent} running` : c.running ? ` · ${c.running} running` : '',
            c.waiting ? ` · ${c.waiting} waiting` : '',
            budgetText(c.budgets)))));
      }))));

    const workers = new Map();
    for (const a of agents) for (const w of a.workers) workers.set(w.id, w);
    fill(workersPart, workers.size === 0 ? h('p', { class: 'muted' }, 'No worker has reported.') : h('table', { id: 'workers' },
      h('thead', null, h('tr', null, ['Worker', 'Host', 'Agents', 'Running', 'Tasks', 'Heartbeat', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, [...workers.values()].map((w) => h('tr', null,
        h('td', { class: 'mono' }, w.id), h('td', null, w.host), h('td', null, w.agents.join(', ')),
        h('td', null, `${w.running} of ${w.capacity}`),
        h('td', null, w.currentTasks.length ? w.currentTasks.map((t) => [taskLink(t), ' ']) : '—'),
        h('td', null, time(w.lastHeartbeat)),
        h('td', null, w.lost ? h('span', { class: 'badge bad' }, 'lost') : w.stopping ? h('span', { class: 'badge warn' }, 'stopping') : h('span', { class: 'badge ok' }, w.busy ? 'busy' : 'idle')))))));

    try {
      const queues = await api('/api/dead-letters');
      fill(deadPart, queues.length === 0 ? h('p', { class: 'muted' }, 'No dead letters.') : h('table', { id: 'dead-letters' },
        h('thead', null, h('tr', null, ['Queue', 'From', 'Count', 'First', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'skip' }, 'Action'))))),
        h('tbody', null, queues.map((q) => h('tr', null,
          h('td', { class: 'mono' }, q.queue), h('td', { class: 'mono' }, q.source), h('td', null, String(q.count)),
          h('td', null, q.messages.slice(0, 3).map((m) => h('div', null, m.taskId ? taskLink(m.taskId) : '', ' ', m.type || '', m.reason ? ` — ${m.reason}` : ''))),
          h('td', null, may('admin') && q.count > 0 ? h('button', { type: 'button', 'aria-label': `Redrive ${q.queue}`, onclick: () => redrive(q.queue) }, 'Redrive') : ''))))));
    } catch (e) {
      fill(deadPart, h('p', { class: 'error' }, e.message));
    }
  }

  show(view, 'Fleet');
  refresh();
  // Heartbeats and queues change without any task's audit trail changing: read them again every 5 seconds as well.
  const timer = setInterval(refresh, 5000);
  return { refresh, dispose: () => clearInterval(timer) };
}

// ---- schedules -----------------------------------------------------------------------------------------------------

function schedulesView() {
  const body = h('tbody');
  const result = answer();
  const view = h('section', null, h('h1', null, 'Schedules'), result,
    h('table', { id: 'schedules' },
      h('thead', null, h('tr', null, ['Schedule', 'When', 'Overlap', 'Last fire', 'Next fire', 'Open tasks', 'State', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'skip' }, 'Actions'))))),
      body));

  const act = (id, verb, name) => command(result, name, `/api/schedules/${id}/${verb}`, {},
    (done) => (verb === 'trigger' ? `${name}: ${done.outcome}${done.taskId ? `, task ${shortId(done.taskId)}` : ''}.` : `${name}: ${verb}d.`), refresh);

  async function refresh() {
    try {
      const schedules = await api('/api/schedules?limit=1000');
      fill(body, ...schedules.map((s) => {
        const name = s.name || shortId(s.id);
        return h('tr', null,
          h('td', null, name, h('div', { class: 'muted mono' }, shortId(s.id))),
          h('td', { class: 'mono' }, s.cron ? `${s.cron} (${s.timeZone})` : `every ${s.every}`),
          h('td', null, s.overlap),
          h('td', null, time(s.lastFireAt)),
          h('td', null, s.paused ? '—' : time(s.nextFireAt)),
          h('td', null, String(s.openTasks)),
          h('td', null, s.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'active')),
          h('td', null, may('submitter') ? [
            h('button', { type: 'button', onclick: () => act(s.id, s.paused ? 'resume' : 'pause', name) }, s.paused ? 'Resume' : 'Pause'), ' ',
            h('button', { type: 'button', onclick: () => act(s.id, 'trigger', name) }, 'Trigger'),
          ] : ''));
      }));
      if (schedules.length === 0) body.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No schedule.')));
    } catch (e) {
      say(result, e.message, false);
    }
  }

  show(view, 'Schedules');
  refresh();
  return { refresh };
}

// ---- routing -------------------------------------------------------------------------------------------------------

function route() {
  if (current && current.dispose) current.dispose();
  const hash = location.hash.replace(/^#/, '') || '/tasks';
  const [path, search] = hash.split('?');
  const parts = path.split('/').filter(Boolean);
  const page = parts[0] || 'tasks';
  for (const link of document.querySelectorAll('header nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (page === 'tasks' && parts[1]) current = taskView(parts[1]);
  else if (page === 'approvals') current = approvalsView();
  else if (page === 'fleet') current = fleetView();
  else if (page === 'schedules') current = schedulesView();
  else current = tasksView(new URLSearchParams(search || ''));
  document.getElementById('view').focus({ preventScroll: true });
}

async function start() {
  try {
    me = await api('/api/me');
    document.getElementById('me').textContent = `${me.name} · ${me.role}`;
  } catch {
    return;
  }
  window.addEventListener('hashchange', route);
  route();
  listen();
}

start();
