// greenwave operator map: draws the map the server sends (GET api/map),
// then follows the event stream (api/events): a snapshot, then a batch of
// changes every few hundred milliseconds. Plain script, no framework: the
// page must work on a control-room network with nothing but this server.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = $('map');
  const bg = $('bg');
  const layers = { roads: $('roads'), paths: $('paths'), sigs: $('sigs'), hot: $('hot'), vehs: $('vehs') };

  const STATES = ['normal', 'entry', 'hold', 'exit', 'fault', 'offline', 'unknown'];
  const LETTER = { normal: 'N', entry: 'E', hold: 'H', exit: 'X', fault: 'F', offline: 'O', unknown: '?' };
  const LETTER_DY = { entry: 4, exit: 1 };
  const MAX_DECISIONS_KEPT = 2000; // in memory, for filtering
  const MAX_DECISIONS_SHOWN = 200; // in the list
  const MAX_PREEMPTS_SHOWN = 100; // in the list; the map shows them all
  const MAX_LABELLED_VEHICLES = 60; // more, and labels would hide the map
  const AHEAD_MIN_M = 400, AHEAD_MAX_M = 3000;

  let mapData = null;
  const sigs = new Map(); // intersection id -> {id, name, x, y, g, mk, use, letter, cd, state, status}
  const vehicles = new Map(); // vehicle id -> {v, g, mk, arrow, label, pathEl, signals}
  const paths = new Map(); // path id -> {pts: Float64Array, cum: Float64Array}
  const preempts = new Map(); // request id -> preempt
  let preemptBySig = new Map(); // intersection id -> its preempt to show (a held one first)
  let decisions = []; // parsed, oldest first
  let lastSeq = 0, replay = false;
  let clockNow = 0, clockAt = performance.now(), rate = 1;
  let selected = null;
  let stats = { dropped: 0, gaps: 0 };

  // ---------- helpers ----------
  const el = (name, attrs, parent) => {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  };
  const html = (name, text, cls) => {
    const e = document.createElement(name);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const serverNow = () => clockNow + (performance.now() - clockAt) * rate;
  const hms = (ms) => new Date(ms).toISOString().slice(11, 19);
  const secs = (ms) => Math.max(0, Math.round(ms / 1000));
  const announce = (text) => { $('announce').textContent = text; };

  // ---------- view: pan and zoom ----------
  const view = { cx: 0, cy: 0, scale: 1 };
  let zoomDirty = true;
  function applyView() {
    const w = svg.clientWidth || 800, h = svg.clientHeight || 600;
    const vw = w / view.scale, vh = h / view.scale;
    const vb = `${view.cx - vw / 2} ${view.cy - vh / 2} ${vw} ${vh}`;
    svg.setAttribute('viewBox', vb);
    bg.setAttribute('viewBox', vb);
    if (zoomDirty) {
      zoomDirty = false;
      const k = `scale(${1 / view.scale})`;
      for (const s of sigs.values()) s.mk.setAttribute('transform', k);
      for (const v of vehicles.values()) v.mk.setAttribute('transform', k);
    }
  }
  let viewQueued = false;
  function queueView() {
    if (!viewQueued) {
      viewQueued = true;
      requestAnimationFrame(() => { viewQueued = false; applyView(); });
    }
  }
  function setScale(s) {
    const min = 0.005, max = 20;
    view.scale = Math.min(max, Math.max(min, s));
    zoomDirty = true;
  }
  function fit() {
    if (!mapData) return;
    const [x0, y0, x1, y1] = mapData.bounds;
    const w = svg.clientWidth || 800, h = svg.clientHeight || 600;
    view.cx = (x0 + x1) / 2; view.cy = (y0 + y1) / 2;
    setScale(Math.min(w / (x1 - x0 + 200), h / (y1 - y0 + 200)));
    applyView();
  }
  function toMap(px, py) {
    const w = svg.clientWidth, h = svg.clientHeight;
    return { x: view.cx + (px - w / 2) / view.scale, y: view.cy + (py - h / 2) / view.scale };
  }
  function zoomAt(f, px, py) {
    const before = toMap(px, py);
    setScale(view.scale * f);
    const after = toMap(px, py);
    view.cx += before.x - after.x; view.cy += before.y - after.y;
    queueView();
  }
  // Zooms around the focused signal or vehicle, else the centre.
  function zoomCentre(f) {
    const at = focusedPoint();
    if (at) {
      const w = svg.clientWidth, h = svg.clientHeight;
      zoomAt(f, (at.x - view.cx) * view.scale + w / 2, (at.y - view.cy) * view.scale + h / 2);
      return;
    }
    zoomAt(f, svg.clientWidth / 2, svg.clientHeight / 2);
  }
  function focusedPoint() {
    const a = document.activeElement;
    if (!a || !a.dataset) return null;
    if (a.dataset.intersection) { const s = sigs.get(a.dataset.intersection); return s ? { x: s.x, y: s.y } : null; }
    if (a.dataset.vehicle) { const d = vehicles.get(a.dataset.vehicle); return d && d.v ? { x: d.v.x, y: d.v.y } : null; }
    return null;
  }
  function pan(dxPx, dyPx) { view.cx += dxPx / view.scale; view.cy += dyPx / view.scale; queueView(); }
  function ensureVisible(x, y) {
    const w = svg.clientWidth, h = svg.clientHeight;
    const px = (x - view.cx) * view.scale + w / 2, py = (y - view.cy) * view.scale + h / 2;
    if (px < 30 || py < 30 || px > w - 30 || py > h - 30) { view.cx = x; view.cy = y; queueView(); }
  }

  let drag = null;
  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || e.target.closest('.sig, .veh, .hot')) return;
    drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
    svg.setPointerCapture(e.pointerId);
    svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    pan(drag.x - e.clientX, drag.y - e.clientY);
    drag.x = e.clientX; drag.y = e.clientY;
  });
  const endDrag = () => { drag = null; svg.classList.remove('dragging'); };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  svg.addEventListener('keydown', (e) => {
    const step = 80;
    const target = e.target.closest ? e.target.closest('.sig, .veh') : null;
    switch (e.key) {
      case 'ArrowLeft': pan(-step, 0); break;
      case 'ArrowRight': pan(step, 0); break;
      case 'ArrowUp': pan(0, -step); break;
      case 'ArrowDown': pan(0, step); break;
      case '+': case '=': zoomCentre(1.4); break;
      case '-': case '_': zoomCentre(1 / 1.4); break;
      case '0': fit(); break;
      case 'Escape': closeSignal(); break;
      case 'Enter': case ' ':
        if (!target) return;
        activate(target);
        break;
      default: return;
    }
    e.preventDefault();
  });
  svg.addEventListener('click', (e) => {
    const hot = e.target.closest('.hot');
    const target = hot ? sigs.get(hot.dataset.intersection).g : e.target.closest('.sig, .veh');
    if (target) activate(target);
  });
  svg.addEventListener('focusin', (e) => {
    const s = e.target.closest && e.target.closest('.sig');
    if (s) { const d = sigs.get(s.dataset.intersection); if (d) ensureVisible(d.x, d.y); }
    const v = e.target.closest && e.target.closest('.veh');
    if (v) { const d = vehicles.get(v.dataset.vehicle); if (d) ensureVisible(d.v.x, d.v.y); }
  });
  function activate(target) {
    if (target.classList.contains('sig')) selectSignal(target.dataset.intersection);
    else if (target.classList.contains('veh')) {
      const d = vehicles.get(target.dataset.vehicle);
      if (d && d.v) { view.cx = d.v.x; view.cy = d.v.y; queueView(); }
      $('fveh').value = target.dataset.vehicle;
      renderDecisions();
      announce(`Centred on vehicle ${target.dataset.vehicle}; decisions filtered to it`);
    }
  }
  $('zin').addEventListener('click', () => zoomCentre(1.4));
  $('zout').addEventListener('click', () => zoomCentre(1 / 1.4));
  $('zfit').addEventListener('click', fit);
  $('showlabels').addEventListener('change', () => updateLabelClass());
  window.addEventListener('resize', queueView);
  // A vehicle's tooltip is written when the pointer comes to it, not on
  // every fix of every vehicle.
  svg.addEventListener('pointerover', (e) => {
    const v = e.target.closest && e.target.closest('.veh');
    const d = v && vehicles.get(v.dataset.vehicle);
    if (d && !d.tipShown) { d.tipShown = true; d.tip.textContent = d.text || ''; }
  });

  // ---------- the map ----------
  function drawMap(m) {
    mapData = m;
    $('mapname').textContent = m.name;
    for (const rc of m.roads) {
      const parts = [];
      for (const l of rc.lines) {
        if (l.length < 4) continue;
        parts.push('M' + l[0] + ' ' + l[1]);
        for (let i = 2; i < l.length; i += 2) parts.push('L' + l[i] + ' ' + l[i + 1]);
      }
      el('path', { class: rc.class, d: parts.join('') }, layers.roads);
    }
    const ilist = $('ilist');
    for (const it of m.intersections) {
      const g = el('g', { id: 'sig-' + it.id, class: 'sig st-unknown', transform: `translate(${it.x} ${it.y})`, tabindex: '0',
        role: 'button', 'data-intersection': it.id, 'data-state': 'unknown' }, layers.sigs);
      const mk = el('g', { class: 'mk' }, g);
      el('circle', { class: 'focus', r: 11 }, mk);
      el('circle', { class: 'ring requested', r: 10 }, mk);
      el('circle', { class: 'ring granted', r: 10 }, mk);
      el('circle', { class: 'ring denied', r: 10 }, mk);
      const use = el('use', { href: '#s-unknown', x: -8, y: -8, width: 16, height: 16 }, mk);
      const letter = el('text', { class: 'letter', dy: 3 }, mk);
      letter.textContent = '?';
      const cd = el('text', { class: 'cd', x: 11, y: -7 }, mk);
      const tip = el('title', {}, g);
      const s = { id: it.id, name: it.name || '', x: it.x, y: it.y, g, mk, use, letter, cd, tip, state: 'unknown', status: null, asked: '', hot: null };
      sigs.set(it.id, s);
      labelSignal(s);
      const o = document.createElement('option');
      o.value = it.id;
      ilist.appendChild(o);
    }
    zoomDirty = true;
    fit();
  }

  // ---------- signals ----------
  function setSignal(st) {
    const s = sigs.get(st.id);
    if (!s) return;
    s.status = st;
    const state = STATES.includes(st.state) ? st.state : 'unknown';
    if (state !== s.state) {
      s.g.classList.remove('st-' + s.state);
      s.g.classList.add('st-' + state);
      s.state = state;
      s.g.setAttribute('data-state', state);
      s.use.setAttribute('href', '#s-' + state);
      s.letter.textContent = LETTER[state];
      s.letter.setAttribute('dy', LETTER_DY[state] || 3);
    }
    raise(s);
    labelSignal(s);
  }
  // A signal that is not simply on its plan, or that a vehicle has asked
  // for, is drawn again on top of the others (a copy that takes no focus),
  // so that a crowded centre does not hide it.
  function raise(s) {
    const hot = (s.state !== 'normal' && s.state !== 'unknown') || s.asked !== '';
    if (hot && !s.hot) {
      s.hot = el('use', { href: '#sig-' + s.id, class: 'hot', 'data-intersection': s.id }, layers.hot);
    } else if (!hot && s.hot) {
      s.hot.remove();
      s.hot = null;
    }
  }
  function indexPreempts() {
    preemptBySig = new Map();
    for (const p of preempts.values()) {
      const cur = preemptBySig.get(p.intersection_id);
      if (!cur || p.granted > cur.granted) preemptBySig.set(p.intersection_id, p);
    }
  }
  const preemptAt = (id) => preemptBySig.get(id) || null;
  function labelSignal(s) {
    let text = `Signal ${s.id}${s.name ? ' ' + s.name : ''}: ${s.state}`;
    if (s.status && s.status.greens && s.status.greens.length) text += `, green phases ${s.status.greens.join(' ')}`;
    const p = preemptAt(s.id);
    if (p) text += `, ${p.granted ? 'held' : 'requested'} for ${p.vehicle_id}`;
    if (s.asked) text += `, ${s.asked} by a vehicle ahead`;
    s.g.setAttribute('aria-label', text);
    s.tip.textContent = text;
  }
  let counting = new Set(); // signals showing a countdown
  function updateCountdowns() {
    const now = serverNow();
    const next = new Set();
    for (const [id, p] of preemptBySig) {
      const s = sigs.get(id);
      if (!s) continue;
      const text = `${secs(p.expires_at - now)}s`;
      if (s.cd.textContent !== text) s.cd.textContent = text;
      next.add(s);
    }
    for (const s of counting) if (!next.has(s)) s.cd.textContent = '';
    counting = next;
    for (const li of $('preempts').children) {
      const p = preempts.get(li.dataset.request);
      if (p) li.querySelector('.t').textContent = `${secs(p.expires_at - now)} s`;
    }
  }

  // ---------- vehicles ----------
  function vehicleEl(id) {
    let d = vehicles.get(id);
    if (d) return d;
    const g = el('g', { class: 'veh', tabindex: '0', role: 'img', 'data-vehicle': id }, layers.vehs);
    const mk = el('g', { class: 'mk', transform: `scale(${1 / view.scale})` }, g);
    el('circle', { class: 'vfocus', r: 12 }, mk);
    const arrow = el('path', { class: 'ev', d: 'M0,-9 L6.5,7.5 L0,3.5 L-6.5,7.5 Z' }, mk);
    const label = el('text', { class: 'vl', x: 11, y: 4 }, mk);
    label.textContent = id;
    const tip = el('title', {}, g);
    const pathEl = el('path', { 'data-path-of': id }, layers.paths);
    d = { v: null, g, mk, arrow, label, tip, pathEl, signals: [], tipShown: false };
    vehicles.set(id, d);
    updateLabelClass();
    refreshVehicleList();
    return d;
  }
  function setVehicle(v) {
    const d = vehicleEl(v.id);
    d.v = v;
    d.g.setAttribute('transform', `translate(${v.x} ${v.y})`);
    d.g.setAttribute('data-x', v.x);
    d.g.setAttribute('data-y', v.y);
    // Only what changed: every attribute set costs the browser work.
    const cls = v.emergency ? 'ev' : 'car';
    if (d.cls !== cls) { d.arrow.setAttribute('class', cls); d.cls = cls; }
    const rot = `rotate(${v.heading_deg === undefined ? 0 : v.heading_deg})`;
    if (d.rot !== rot) { d.arrow.setAttribute('transform', rot); d.rot = rot; }
    if (v.signals) d.signals = v.signals;
    labelVehicle(d);
  }
  function labelVehicle(d) {
    const v = d.v;
    if (!v) return;
    let text = `Vehicle ${v.id}, ${v.emergency ? 'emergency run' : 'no emergency'}`;
    if (v.speed_mps !== undefined) text += `, ${v.speed_mps} m/s`;
    if (v.heading_deg !== undefined) text += `, heading ${Math.round(v.heading_deg)}°`;
    if (d.signals.length) text += '; signals ahead: ' + d.signals.map((s) => `${s.id} ${s.state}`).join(', ');
    d.g.setAttribute('aria-label', text);
    d.text = text;
    if (d.tipShown) d.tip.textContent = text;
    const ahead = d.signals.map((s) => `${s.id}:${s.state}`).join(' ');
    if (d.ahead !== ahead) { d.g.setAttribute('data-ahead', ahead); d.ahead = ahead; }
  }
  function removeVehicle(id) {
    const d = vehicles.get(id);
    if (!d) return;
    d.g.remove();
    d.pathEl.remove();
    vehicles.delete(id);
    updateLabelClass();
    refreshVehicleList();
  }
  function updateLabelClass() {
    const on = $('showlabels').checked && vehicles.size <= MAX_LABELLED_VEHICLES;
    svg.classList.toggle('nolabels', !on);
  }
  let vehicleListQueued = false;
  function refreshVehicleList() {
    if (vehicleListQueued) return;
    vehicleListQueued = true;
    setTimeout(() => {
      vehicleListQueued = false;
      const list = $('vlist');
      list.replaceChildren(...[...vehicles.keys()].sort().slice(0, 500).map((id) => { const o = document.createElement('option'); o.value = id; return o; }));
    }, 1000);
  }
  function storePath(p) {
    const n = p.points.length / 2;
    const pts = Float64Array.from(p.points);
    const cum = new Float64Array(n);
    for (let i = 1; i < n; i++) cum[i] = cum[i - 1] + Math.hypot(pts[2 * i] - pts[2 * i - 2], pts[2 * i + 1] - pts[2 * i - 1]);
    paths.set(p.id, { pts, cum });
  }
  // The stretch of path from along to along+len as an SVG path.
  function pathSlice(p, from, to) {
    const { pts, cum } = p, n = cum.length;
    if (n < 2) return '';
    to = Math.min(to, cum[n - 1]);
    if (!(to > from)) return '';
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cum[mid] < from) lo = mid + 1; else hi = mid; }
    const at = (i, a) => {
      const seg = cum[i + 1] - cum[i], f = seg > 0 ? (a - cum[i]) / seg : 0;
      return [pts[2 * i] + f * (pts[2 * i + 2] - pts[2 * i]), pts[2 * i + 1] + f * (pts[2 * i + 3] - pts[2 * i + 1])];
    };
    const start = Math.max(0, lo - 1);
    const p0 = at(start, Math.max(from, cum[start]));
    const out = ['M' + p0[0].toFixed(1) + ' ' + p0[1].toFixed(1)];
    let i = start + 1;
    for (; i < n && cum[i] < to; i++) out.push('L' + pts[2 * i] + ' ' + pts[2 * i + 1]);
    const pe = at(Math.min(i - 1, n - 2), to);
    out.push('L' + pe[0].toFixed(1) + ' ' + pe[1].toFixed(1));
    return out.join('');
  }
  function drawAhead(d) {
    const v = d.v;
    const p = v && v.emergency && v.on_path && v.path_id ? paths.get(v.path_id) : null;
    if (!p) { if (d.pathEl.hasAttribute('d')) d.pathEl.removeAttribute('d'); return; }
    // Up to just past the last signal it has asked for (or been refused):
    // the stretch greenwave is working on.
    let len = AHEAD_MIN_M;
    for (const s of d.signals) if (s.state !== 'planned') len = Math.max(len, s.distance_m + 40);
    d.pathEl.setAttribute('d', pathSlice(p, v.along_m, v.along_m + Math.min(len, AHEAD_MAX_M)));
  }
  // Which signals some vehicle has asked for, and how far it got.
  function updateAsked() {
    const rank = { requested: 1, denied: 2, granted: 3 };
    const asked = new Map();
    for (const d of vehicles.values()) {
      for (const s of d.signals) {
        if (rank[s.state] && (rank[s.state] > (rank[asked.get(s.id)] || 0))) asked.set(s.id, s.state);
      }
    }
    for (const s of sigs.values()) {
      const a = asked.get(s.id) || '';
      if (a !== s.asked) {
        if (s.asked) s.g.classList.remove('asked-' + s.asked);
        if (a) s.g.classList.add('asked-' + a);
        s.asked = a;
        raise(s);
        labelSignal(s);
      }
    }
  }

  // ---------- preempts ----------
  function renderPreempts() {
    const list = $('preempts');
    const all = [...preempts.values()].sort((a, b) => a.since - b.since);
    const items = all.slice(0, MAX_PREEMPTS_SHOWN);
    list.replaceChildren(...items.map((p) => {
      const li = html('li');
      li.dataset.request = p.request_id;
      const what = html('span', `${p.vehicle_id} → ${p.intersection_id}`, p.granted ? 'granted' : 'asked');
      const t = html('span', '', 't');
      t.setAttribute('aria-label', 'expires in');
      li.append(what, t);
      li.title = `request ${p.request_id}, since ${hms(p.since)}, expires ${hms(p.expires_at)}`;
      return li;
    }));
    if (all.length > items.length) list.appendChild(html('li', `… and ${all.length - items.length} more (the map shows every one)`));
    $('npre').textContent = `(${all.length})`;
    updateCountdowns();
  }

  // ---------- decisions ----------
  function decisionText(d) {
    const parts = [];
    if (d.vehicle_id) parts.push(d.vehicle_id);
    if (d.intersection_id) parts.push('@ ' + d.intersection_id);
    if (d.reason) parts.push(d.reason);
    if (d.eta_s !== undefined) parts.push(`eta ${d.eta_s} s`);
    if (d.lead_s !== undefined) parts.push(`lead ${d.lead_s} s`);
    if (d.distance_m !== undefined) parts.push(`${d.distance_m} m`);
    if (d.expires_at) parts.push('until ' + d.expires_at.slice(11, 19));
    if (d.field) parts.push(d.field);
    if (d.detail) parts.push('— ' + d.detail);
    return parts.join(' ');
  }
  function decisionItem(d) {
    const li = html('li');
    const t = html('time', d.at ? d.at.slice(11, 19) : '');
    if (d.at) t.dateTime = d.at;
    li.append(t, html('span', d.kind, 'k ' + d.kind), document.createTextNode(' ' + decisionText(d)));
    return li;
  }
  function filters() {
    return { veh: $('fveh').value.trim().toLowerCase(), inter: $('fint').value.trim().toLowerCase(),
      kind: $('fkind').value, refresh: $('frefresh').checked };
  }
  function matches(d, f) {
    if (f.kind && d.kind !== f.kind) return false;
    if (!f.kind && !f.refresh && d.kind === 'refresh') return false;
    if (f.veh && !(d.vehicle_id || '').toLowerCase().includes(f.veh)) return false;
    if (f.inter && !(d.intersection_id || '').toLowerCase().includes(f.inter)) return false;
    return true;
  }
  function renderDecisions() {
    const f = filters();
    const out = [];
    for (let i = decisions.length - 1; i >= 0 && out.length < MAX_DECISIONS_SHOWN; i--) {
      if (matches(decisions[i], f)) out.push(decisionItem(decisions[i]));
    }
    $('decisions').replaceChildren(...out);
    decisionInfo();
  }
  function decisionInfo() {
    const shown = $('decisions').children.length;
    $('decinfo').textContent = `${shown} shown of the last ${decisions.length}` + (stats.skipped ? `; ${stats.skipped} not sent (rate limit)` : '');
  }
  function addDecisions(list) {
    if (!list.length) return;
    decisions.push(...list);
    if (decisions.length > MAX_DECISIONS_KEPT) decisions = decisions.slice(decisions.length - MAX_DECISIONS_KEPT);
    const f = filters();
    const ol = $('decisions');
    const fresh = list.filter((d) => matches(d, f)).reverse().slice(0, MAX_DECISIONS_SHOWN).map(decisionItem);
    if (fresh.length) {
      ol.prepend(...fresh);
      while (ol.children.length > MAX_DECISIONS_SHOWN) ol.lastElementChild.remove();
    }
    decisionInfo();
  }
  for (const id of ['fveh', 'fint', 'fkind', 'frefresh']) $(id).addEventListener('input', renderDecisions);
  $('filters').addEventListener('reset', () => setTimeout(renderDecisions, 0));
  $('filters').addEventListener('submit', (e) => e.preventDefault());

  // ---------- a signal's history ----------
  function historyItem(e) {
    if (e.status) {
      const s = e.status;
      const li = html('li');
      const t = html('time', hms(s.ts));
      li.append(t, html('span', s.state, 'k st-text'), document.createTextNode(
        ' ' + (s.greens && s.greens.length ? `green ${s.greens.join(' ')}` : 'no green') + (s.request_id ? ` · ${s.request_id}` : '')));
      return li;
    }
    return decisionItem(e.decision);
  }
  function selectSignal(id) {
    const s = sigs.get(id);
    if (!s) return;
    if (selected) { const old = sigs.get(selected); if (old) old.g.classList.remove('selected'); }
    selected = id;
    s.g.classList.add('selected');
    $('sigpanel').hidden = false;
    $('h-sig').textContent = `Signal ${id}${s.name ? ' — ' + s.name : ''}`;
    $('sigstate').textContent = s.g.getAttribute('aria-label');
    const ol = $('history');
    ol.replaceChildren(html('li', 'loading…'));
    fetch(`api/signals/${encodeURIComponent(id)}/history`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`history: HTTP ${r.status}`))))
      .then((entries) => {
        if (selected !== id) return;
        ol.replaceChildren(...entries.slice().reverse().map((e) => historyItem(e.decision ? { decision: parseDecision(e.decision) } : e)));
        if (!entries.length) ol.replaceChildren(html('li', 'nothing yet'));
        announce(`Signal ${id}: ${s.state}; ${entries.length} recent events`);
      })
      .catch((err) => { ol.replaceChildren(html('li', String(err.message))); });
  }
  function closeSignal() {
    if (!selected) return;
    const s = sigs.get(selected);
    if (s) { s.g.classList.remove('selected'); s.g.focus(); }
    selected = null;
    $('sigpanel').hidden = true;
  }
  $('sigclose').addEventListener('click', closeSignal);
  function historyLive(entry) {
    const ol = $('history');
    if (ol.firstElementChild && !ol.firstElementChild.querySelector('time')) ol.replaceChildren();
    ol.prepend(historyItem(entry));
    while (ol.children.length > 100) ol.lastElementChild.remove();
  }
  const parseDecision = (d) => (typeof d === 'string' ? JSON.parse(d) : d);

  // ---------- the event stream ----------
  function syncClock(now, r) {
    clockNow = now; clockAt = performance.now(); rate = r || 1;
  }
  function onSnapshot(s) {
    for (const id of [...vehicles.keys()]) removeVehicle(id);
    paths.clear();
    preempts.clear();
    for (const sg of sigs.values()) setSignal({ id: sg.id, state: 'unknown' });
    for (const st of s.signals) setSignal(st);
    for (const p of s.paths) storePath(p);
    for (const v of s.vehicles) setVehicle(v);
    for (const p of s.preempts) preempts.set(p.request_id, p);
    indexPreempts();
    for (const d of vehicles.values()) drawAhead(d);
    decisions = s.decisions.map(parseDecision);
    lastSeq = s.seq;
    document.body.dataset.seq = lastSeq;
    replay = !!s.replay;
    stats.dropped = s.dropped || 0;
    syncClock(s.now, s.rate);
    updateAsked();
    renderPreempts();
    renderDecisions();
    showDropped();
    updateCounts();
    if (selected) selectSignal(selected);
  }
  function onBatch(b) {
    const t0 = performance.now();
    if (b.seq !== lastSeq + 1) { stats.gaps++; showDropped(); }
    lastSeq = b.seq;
    syncClock(b.now, b.rate);
    // Vehicles first: a signal's status then shows against where the
    // vehicles are now (a hold while one approaches, the exit once it has
    // passed), as it happened.
    for (const p of b.paths || []) storePath(p);
    const touched = new Set();
    for (const v of b.vehicles || []) { setVehicle(v); touched.add(v.id); }
    for (const a of b.advisories || []) {
      const d = vehicles.get(a.vehicle_id);
      if (d) { d.signals = a.signals; labelVehicle(d); touched.add(a.vehicle_id); }
    }
    for (const id of b.gone || []) removeVehicle(id);
    for (const st of b.statuses || []) {
      setSignal(st);
      if (st.id === selected) historyLive({ status: st });
    }
    for (const id of touched) { const d = vehicles.get(id); if (d) drawAhead(d); }
    // Paths no vehicle uses any more.
    if ((b.paths && b.paths.length) || (b.gone && b.gone.length)) {
      const used = new Set();
      for (const d of vehicles.values()) if (d.v && d.v.path_id) used.add(d.v.path_id);
      for (const id of paths.keys()) if (!used.has(id)) paths.delete(id);
    }
    let preemptsChanged = false;
    const touchedSigs = new Set();
    for (const p of b.preempts || []) {
      const old = preempts.get(p.request_id);
      if (!old || old.granted !== p.granted) { preemptsChanged = true; touchedSigs.add(p.intersection_id); }
      preempts.set(p.request_id, p);
    }
    for (const e of b.ended || []) {
      const old = preempts.get(e.request_id);
      if (old) { preempts.delete(e.request_id); preemptsChanged = true; touchedSigs.add(old.intersection_id); }
    }
    if (b.preempts || b.ended) indexPreempts();
    if (b.advisories || b.gone) updateAsked();
    if (preemptsChanged) {
      renderPreempts();
      for (const id of touchedSigs) { const s = sigs.get(id); if (s) labelSignal(s); }
    }
    if (b.skipped) stats.skipped = (stats.skipped || 0) + b.skipped;
    const ds = (b.decisions || []).map(parseDecision);
    addDecisions(ds);
    if (selected) for (const d of ds) if (d.intersection_id === selected) historyLive({ decision: d });
    updateCounts();
    // For diagnostics (and the tests): the last batch applied and the time
    // the longest one took.
    const ms = performance.now() - t0;
    stats.slowest = Math.max(stats.slowest || 0, ms);
    document.body.dataset.seq = lastSeq;
    document.body.dataset.slowestBatchMs = stats.slowest.toFixed(1);
  }
  function showDropped() {
    const e = $('dropped');
    const n = stats.dropped + stats.gaps;
    e.hidden = n === 0;
    e.textContent = n ? `fell behind: ${n} update${n === 1 ? '' : 's'} missed, state reloaded` : '';
  }
  function updateCounts() {
    let holding = 0, faults = 0;
    for (const s of sigs.values()) { if (s.state === 'hold') holding++; if (s.state === 'fault') faults++; }
    $('counts').textContent = `${sigs.size} signals · ${holding} holding · ${faults} fault · ${vehicles.size} vehicles · ${preempts.size} preempts`;
  }
  function setConn(up, text) {
    const c = $('conn');
    c.classList.toggle('up', up);
    c.classList.toggle('down', !up);
    c.textContent = text;
  }
  function connect() {
    const es = new EventSource('api/events', { withCredentials: true });
    es.addEventListener('snapshot', (e) => { onSnapshot(JSON.parse(e.data)); setConn(true, replay ? 'replay' : 'live'); });
    es.addEventListener('batch', (e) => onBatch(JSON.parse(e.data)));
    es.addEventListener('error', () => setConn(false, 'reconnecting…'));
  }

  setInterval(() => {
    if (!mapData) return;
    $('clock').textContent = hms(serverNow()) + (rate !== 1 ? ` ×${rate}` : '') + ' UTC';
    updateCountdowns();
  }, 250);

  fetch('api/map', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`map: HTTP ${r.status}`))))
    .then((m) => { drawMap(m); connect(); })
    .catch((err) => setConn(false, String(err.message)));
})();
