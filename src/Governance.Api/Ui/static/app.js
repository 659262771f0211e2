// The operator dashboard. Plain DOM, no framework: every value from the API is put on the page as text
// (textContent / attributes), never parsed as HTML, so a key name or a justification can't inject markup.
'use strict';

const TOKEN = 'governance.token';
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fde', '#2e8b57', '#d98a1c', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];
const $ = (id) => document.getElementById(id);

let me = null;

// ---- small helpers -------------------------------------------------------------------------------------

/** An element with attributes and children; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

function usd(value) {
  const n = Number(value || 0);
  const digits = n !== 0 && Math.abs(n) < 0.01 ? 6 : 2;
  return '$' + n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function when(iso) {
  if (!iso) return '';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function has(...roles) {
  return me !== null && roles.some((r) => me.roles.includes(r));
}

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = !message;
}

function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: columns, class: 'muted' }, empty))]));
}

// ---- the API -------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    signOut('The token was not accepted (unknown or revoked). Sign in again.');
    throw new ApiError(401, 'unauthorized');
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.errors ? Object.values(problem.errors).flat().join(' ') : (problem.detail || problem.title || detail);
    } catch { /* not problem+json */ }
    throw new ApiError(response.status, `${method} ${path}: ${response.status} ${detail}`);
  }
  // JSON answers are parsed; anything else (the audit export's NDJSON) is returned as text.
  const type = response.headers.get('Content-Type') || '';
  return /^application\/(problem\+)?json/.test(type) ? response.json() : response.text();
}

/** Runs an action, showing its failure instead of throwing. */
async function attempt(action) {
  try {
    showError('');
    await action();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError(e.message);
  }
}

// ---- sign-in and tabs ----------------------------------------------------------------------------------

const TABS = {
  overview: { roles: ['admin', 'auditor', 'app-owner'], load: loadOverview },
  keys: { roles: ['admin', 'auditor', 'approver', 'app-owner'], load: loadKeys },
  approvals: { roles: ['admin', 'approver', 'auditor', 'app-owner'], load: loadApprovals },
  audit: { roles: ['admin', 'auditor'], load: async () => {} },
};

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  me = null;
  $('tabs').hidden = true;
  $('sign-out').hidden = true;
  $('whoami').textContent = '';
  for (const id of Object.keys(TABS)) $(id).hidden = true;
  $('sign-in').hidden = false;
  showError(message || '');
}

async function start() {
  if (!sessionStorage.getItem(TOKEN)) return signOut();
  try {
    me = await api('GET', '/api/me');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError(e.message);
    return;
  }
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  $('whoami').textContent = `${me.name} (${me.roles.join(', ')}${me.apps.length ? ': ' + me.apps.join(', ') : ''})`;
  const allowed = Object.keys(TABS).filter((t) => has(...TABS[t].roles));
  for (const link of document.querySelectorAll('#tabs a')) link.hidden = !allowed.includes(link.dataset.tab);
  $('tabs').hidden = false;
  if (allowed.length === 0) return showError('This token is for gateways (adapter role): the dashboard has nothing for it.');
  showTab(allowed.includes(location.hash.slice(1)) ? location.hash.slice(1) : allowed[0]);
}

function showTab(tab) {
  for (const id of Object.keys(TABS)) $(id).hidden = id !== tab;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.tab === tab);
  if (location.hash !== '#' + tab) history.replaceState(null, '', '#' + tab);
  attempt(TABS[tab].load);
}

// ---- overview ------------------------------------------------------------------------------------------

/** The buckets of the selected range, computed from this browser's clock (UTC hours or days). */
function spendRange(range) {
  const now = new Date();
  if (range === '24h') {
    const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() + 1);
    return { granularity: 'hour', step: 3600e3, from: end - 24 * 3600e3, to: end };
  }
  const days = range === '7d' ? 7 : 30;
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { granularity: 'day', step: 86400e3, from: end - days * 86400e3, to: end };
}

async function loadOverview() {
  const jobs = [loadBudgets()];
  if (has('admin', 'auditor')) jobs.push(loadSpend(), loadTopKeys(), loadAlerts());
  for (const id of ['spend-chart', 'top-keys', 'alerts']) $(id).closest('.card').hidden = !has('admin', 'auditor');
  await Promise.all(jobs);
}

async function loadSpend() {
  const by = $('spend-by').value;
  const r = spendRange($('spend-range').value);
  const query = new URLSearchParams({ by, granularity: r.granularity, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() });
  const points = await api('GET', '/api/spend?' + query);
  const total = points.reduce((sum, p) => sum + Number(p.cost), 0);
  $('spend-total').textContent = 'total ' + usd(total);
  drawChart($('spend-chart'), points, r);
}

/** Stacked bars, one per bucket, one colour per owner (the six dearest; the rest as "other"). */
function drawChart(container, points, r) {
  const byOwner = new Map();
  for (const p of points) byOwner.set(p.owner, (byOwner.get(p.owner) || 0) + Number(p.cost));
  const ranked = [...byOwner.entries()].sort((a, b) => b[1] - a[1]).map(([owner]) => owner);
  const shown = ranked.slice(0, 6);
  const series = ranked.length > 6 ? [...shown, 'other'] : shown;
  const buckets = [];
  for (let t = r.from; t < r.to; t += r.step) buckets.push({ t, costs: new Array(series.length).fill(0) });
  for (const p of points) {
    const i = Math.floor((Date.parse(p.bucketStart) - r.from) / r.step);
    if (i < 0 || i >= buckets.length) continue;
    const s = shown.includes(p.owner) ? shown.indexOf(p.owner) : series.length - 1;
    buckets[i].costs[s] += Number(p.cost);
  }

  const width = 1180, height = 220, left = 64, bottom = 22, top = 8;
  const max = Math.max(...buckets.map((b) => b.costs.reduce((a, c) => a + c, 0)), 0);
  const scale = max > 0 ? (height - top - bottom) / max : 0;
  const slot = (width - left) / buckets.length;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'spend over time', id: 'spend-svg' });
  for (const fraction of [0, 0.5, 1]) {
    const y = height - bottom - fraction * (height - top - bottom);
    chart.append(svg('line', { x1: left, x2: width, y1: y, y2: y, stroke: '#dfe3ea' }));
    chart.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, usd(max * fraction)));
  }
  buckets.forEach((b, i) => {
    let y = height - bottom;
    b.costs.forEach((cost, s) => {
      if (cost <= 0) return;
      const barHeight = Math.max(cost * scale, 1);
      y -= barHeight;
      const rect = svg('rect', { x: left + i * slot + 1, y, width: Math.max(slot - 2, 1), height: barHeight, fill: COLORS[s % COLORS.length], class: 'spend-bar' });
      rect.append(svg('title', {}, `${series[s]} ${when(new Date(b.t).toISOString())}: ${usd(cost)}`));
      chart.append(rect);
    });
    const labelEvery = Math.ceil(buckets.length / 8);
    if (i % labelEvery === 0) {
      const d = new Date(b.t).toISOString();
      chart.append(svg('text', { x: left + i * slot + slot / 2, y: height - 6, 'text-anchor': 'middle' }, r.granularity === 'hour' ? d.slice(11, 16) : d.slice(5, 10)));
    }
  });
  const legend = h('div', { class: 'legend' }, series.map((name, s) => {
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = COLORS[s % COLORS.length];
    return h('span', { class: 'legend-item' }, swatch, name);
  }));
  container.replaceChildren(chart, series.length ? legend : h('p', { class: 'muted' }, 'No spend in this range.'));
}

async function loadBudgets() {
  const budgets = await api('GET', '/api/budgets');
  const items = budgets.map((b) => {
    const limit = Number(b.limit);
    const settled = Number(b.settled), held = Number(b.held) + Number(b.leased || 0);
    const bar = h('div', { class: 'bar', title: `${usd(settled)} settled, ${usd(held)} held of ${usd(limit)}` });
    const settledPart = h('span', { class: 'settled' });
    const heldPart = h('span', { class: 'held' });
    settledPart.style.width = (limit > 0 ? Math.min(100, (settled / limit) * 100) : 0) + '%';
    heldPart.style.width = (limit > 0 ? Math.min(100, (held / limit) * 100) : 0) + '%';
    bar.append(settledPart, heldPart);
    return h('div', { class: 'budget', 'data-owner': `${b.level}:${b.owner}` },
      h('div', {}, h('strong', {}, `${b.level} ${b.owner}`), h('span', { class: 'muted' }, ` · ${b.period} · limit ${usd(limit)}`)),
      bar,
      h('div', { class: 'muted' }, `${usd(settled)} settled · ${usd(held)} held · ${usd(b.remaining)} remaining`,
        b.windowEnd ? ` · window ends ${when(b.windowEnd)}` : ' · no window end'));
  });
  $('budgets').replaceChildren(...(items.length ? items : [h('p', { class: 'muted' }, 'No budgets set.')]));
}

async function loadTopKeys() {
  const [top, keys] = await Promise.all([api('GET', '/api/spend/top?by=key&limit=5'), api('GET', '/api/keys')]);
  const names = new Map(keys.map((k) => [k.id, k]));
  fill($('top-keys').tBodies[0], top.map((t) => {
    const key = names.get(t.owner);
    return h('tr', { 'data-key-id': t.owner },
      h('td', {}, key ? key.name : t.owner), h('td', {}, key ? key.app : ''),
      h('td', { class: 'num' }, t.requests), h('td', { class: 'num' }, usd(t.cost)));
  }), 'No spend yet.', 4);
}

async function loadAlerts() {
  const alerts = await api('GET', '/api/alerts?limit=10');
  fill($('alerts').tBodies[0], alerts.map((a) => h('tr', {},
    h('td', {}, when(a.at)), h('td', {}, a.kind), h('td', { class: 'mono' }, a.subject),
    h('td', {}, a.kind === 'threshold'
      ? `${a.percent}% of ${usd(a.limit)} reached (${usd(a.spend)} settled)`
      : `${usd(a.spend)} in the last hour, ${Number(a.multiplier)}× the hourly average of ${usd(a.average)}`))), 'No alerts.', 4);
}

// ---- keys ----------------------------------------------------------------------------------------------

async function loadKeys() {
  const canWrite = has('admin', 'app-owner');
  const canSeeSpend = has('admin', 'auditor');
  $('issue-card').hidden = !canWrite;
  const [keys, top] = await Promise.all([
    api('GET', '/api/keys'),
    canSeeSpend ? api('GET', '/api/spend/top?by=key&limit=100') : Promise.resolve([]),
  ]);
  const spend = new Map(top.map((t) => [t.owner, t.cost]));
  const rows = keys.slice().reverse().map((k) => {
    const actions = h('td', { class: 'actions' });
    if (canWrite && k.status !== 'revoked') {
      if (k.status === 'suspended') actions.append(h('button', { type: 'button', class: 'resume', onclick: () => resumeKey(k) }, 'Resume'));
      else actions.append(h('button', { type: 'button', class: 'suspend', onclick: () => suspendKey(k) }, 'Suspend'));
      actions.append(h('button', { type: 'button', class: 'rotate', onclick: () => rotateKey(k) }, 'Rotate'));
      actions.append(h('button', { type: 'button', class: 'revoke danger', onclick: () => revokeKey(k) }, 'Revoke'));
    }
    if (has('admin', 'auditor')) actions.append(h('button', { type: 'button', class: 'history', onclick: () => showTimeline('key', k.id) }, 'History'));
    return h('tr', { 'data-key-id': k.id },
      h('td', { class: 'key-name' }, k.name), h('td', {}, k.app), h('td', { class: 'mono' }, k.id),
      h('td', {}, k.models.join(', ')),
      h('td', {}, h('span', { class: `status status-${k.status}`, title: k.statusReason || '' }, k.status)),
      h('td', { class: 'num key-spend' }, canSeeSpend ? usd(spend.get(k.id) || 0) : '—'),
      h('td', {}, when(k.issuedAt)), actions);
  });
  fill($('key-table').tBodies[0], rows, 'No keys.', 8);
}

function showSecret(title, secret) {
  $('secret-title').textContent = title;
  $('secret-value').value = secret;
  $('copied').textContent = '';
  $('secret').hidden = false;
}

async function copySecret() {
  const field = $('secret-value');
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    // Without clipboard permission (plain http): select it for the person to copy.
    field.select();
    document.execCommand('copy');
  }
  $('copied').textContent = 'copied';
}

async function issueKey(event) {
  event.preventDefault();
  await attempt(async () => {
    const models = $('issue-models').value.split(',').map((m) => m.trim()).filter(Boolean);
    const issued = await api('POST', '/api/keys', { app: $('issue-app').value.trim(), name: $('issue-name').value.trim(), models });
    showSecret(`Key ${issued.details.name} (${issued.id})`, issued.key);
    $('issue-form').reset();
    await loadKeys();
  });
}

/** A small modal asking for one value; resolves to it, or to null when cancelled. */
function ask(title, label, initial) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-label').textContent = label;
    $('confirm-input').value = initial || '';
    const done = (value) => {
      dialog.close();
      $('confirm-form').onsubmit = null;
      $('confirm-cancel').onclick = null;
      resolve(value);
    };
    $('confirm-form').onsubmit = (e) => { e.preventDefault(); done($('confirm-input').value); };
    $('confirm-cancel').onclick = () => done(null);
    dialog.showModal();
    $('confirm-input').focus();
  });
}

async function keyAction(k, title, label, initial, send) {
  const value = await ask(title, label, initial);
  if (value === null) return;
  await attempt(async () => {
    await send(value);
    await loadKeys();
  });
}

const suspendKey = (k) => keyAction(k, `Suspend ${k.name}`, 'Reason', '', (reason) => api('POST', `/api/keys/${encodeURIComponent(k.id)}/suspend`, { reason }));
const resumeKey = (k) => attempt(async () => { await api('POST', `/api/keys/${encodeURIComponent(k.id)}/resume`, {}); await loadKeys(); });
const revokeKey = (k) => keyAction(k, `Revoke ${k.name} (final)`, 'Reason', '', (reason) => api('POST', `/api/keys/${encodeURIComponent(k.id)}/revoke`, { reason }));
const rotateKey = (k) => keyAction(k, `Rotate ${k.name}`, 'Old key stays valid for (seconds)', '3600', async (grace) => {
  const rotated = await api('POST', `/api/keys/${encodeURIComponent(k.id)}/rotate`, { gracePeriodSeconds: Number(grace) });
  showSecret(`New secret of ${k.name} (old one valid until ${when(rotated.previousKeyValidUntil)})`, rotated.key);
});

// ---- approvals -----------------------------------------------------------------------------------------

function price(p) {
  return p ? `${usd(p.inputPer1M)} in / ${usd(p.outputPer1M)} out` : 'unpriced';
}

function approvalsText(r) {
  return `${r.approvals.length} of ${r.approvalsRequired}` +
    (r.approvals.length ? ': ' + r.approvals.map((a) => a.by + (a.comment ? ` ("${a.comment}")` : '')).join(', ') : '');
}

async function loadApprovals() {
  const all = await api('GET', '/api/access-requests');
  const pending = all.filter((e) => e.request.status === 'pending');
  const decided = all.filter((e) => e.request.status !== 'pending').reverse();
  const canDecide = has('approver');
  fill($('queue').tBodies[0], pending.map(({ request: r, price: p }) => h('tr', { 'data-request-id': r.id },
    h('td', {}, when(r.requestedAt), h('div', { class: 'muted' }, 'by ' + r.requestedBy)),
    h('td', {}, r.app, r.keyId ? h('div', { class: 'mono muted' }, r.keyId) : null),
    h('td', {}, r.model), h('td', {}, price(p)),
    h('td', { class: 'wrap justification' }, r.justification),
    h('td', { class: 'num' }, r.durationDays), h('td', { class: 'num' }, r.spendCap === null ? '—' : usd(r.spendCap)),
    h('td', {}, approvalsText(r)),
    h('td', { class: 'actions' }, canDecide ? [
      h('button', { type: 'button', class: 'approve primary', onclick: () => decide(r, 'approve') }, 'Approve'),
      h('button', { type: 'button', class: 'reject danger', onclick: () => decide(r, 'reject') }, 'Reject'),
    ] : null))), 'Nothing waiting.', 9);
  fill($('decisions').tBodies[0], decided.map(({ request: r }) => h('tr', { 'data-request-id': r.id },
    h('td', {}, when(r.requestedAt)), h('td', {}, r.app), h('td', {}, r.model),
    h('td', {}, h('span', { class: `status status-${r.status}` }, r.status)),
    h('td', {}, approvalsText(r)), h('td', { class: 'wrap' }, r.statusReason || ''))), 'No decisions yet.', 6);
}

async function decide(r, verdict) {
  const approve = verdict === 'approve';
  const value = await ask(`${approve ? 'Approve' : 'Reject'} ${r.model} for ${r.app}`, approve ? 'Comment' : 'Reason', '');
  if (value === null) return;
  await attempt(async () => {
    await api('POST', `/api/access-requests/${encodeURIComponent(r.id)}/${verdict}`, approve ? { comment: value || null } : { reason: value });
    await loadApprovals();
  });
}

// ---- audit ---------------------------------------------------------------------------------------------

function streamOf(kind, id) {
  return kind === 'app' ? 'app:' + id : id;
}

async function showTimeline(kind, id) {
  if (kind) {
    $('audit-kind').value = kind;
    $('audit-id').value = id;
    showTab('audit');
  }
  await attempt(async () => {
    const stream = streamOf($('audit-kind').value, $('audit-id').value.trim());
    const path = `/api/audit/streams/${encodeURIComponent(stream)}`;
    const ndjson = await api('GET', path);
    const events = ndjson.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    fill($('timeline').tBodies[0], events.map((e) => h('tr', {},
      h('td', { class: 'num' }, e.version), h('td', {}, when(e.timestamp)), h('td', { class: 'event-type' }, e.type),
      h('td', { class: 'mono' }, e.actor || ''), h('td', { class: 'wrap mono' }, JSON.stringify(e.data)))), 'No events.', 5);
    // The export needs the bearer token, so it is offered as the file just fetched rather than a plain link.
    const link = $('audit-export');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([ndjson], { type: 'application/x-ndjson' }));
    link.download = `audit-${stream.replace(/[^A-Za-z0-9_.-]/g, '_')}.ndjson`;
    link.hidden = false;
  });
}

// ---- wiring --------------------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN, $('token').value.trim());
    $('token').value = '';
    start();
  });
  $('sign-out').addEventListener('click', () => signOut());
  for (const link of document.querySelectorAll('#tabs a')) {
    link.addEventListener('click', (e) => { e.preventDefault(); showTab(link.dataset.tab); });
  }
  $('spend-by').addEventListener('change', () => attempt(loadSpend));
  $('spend-range').addEventListener('change', () => attempt(loadSpend));
  $('issue-form').addEventListener('submit', issueKey);
  $('copy-secret').addEventListener('click', copySecret);
  $('audit-form').addEventListener('submit', (e) => { e.preventDefault(); showTimeline(); });
  start();
});
