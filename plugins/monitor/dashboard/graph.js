// Run graph: layered layout of a workflow description, drawn as SVG with pan/zoom. Dependency-free.
const SVG = 'http://www.w3.org/2000/svg';
const W = 150;
const H = 36;
const GX = 56;
const GY = 12;

const el = (name, attrs = {}) => {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

/** Longest-path layering (Kahn's algorithm: a loop, no recursion) with one barycentre pass per layer. */
export function layout(nodeIds, edges) {
  const index = new Map(nodeIds.map((id, i) => [id, i]));
  const n = nodeIds.length;
  const indeg = new Int32Array(n);
  const out = Array.from({ length: n }, () => []);
  const parents = Array.from({ length: n }, () => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    out[a].push(b);
    parents[b].push(a);
    indeg[b]++;
  }
  const level = new Int32Array(n);
  const queue = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const a = queue[q];
    for (const b of out[a]) {
      if (level[a] + 1 > level[b]) level[b] = level[a] + 1;
      if (--indeg[b] === 0) queue.push(b);
    }
  }
  const layers = [];
  for (let i = 0; i < n; i++) (layers[level[i]] ??= []).push(i);
  const order = new Float64Array(n);
  const pos = new Map();
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l] ?? [];
    if (l > 0)
      for (const i of layer) {
        const ps = parents[i];
        order[i] = ps.length === 0 ? i : ps.reduce((s, p) => s + order[p], 0) / ps.length;
      }
    else for (const i of layer) order[i] = i;
    layer.sort((x, y) => order[x] - order[y]);
    layer.forEach((i, k) => {
      order[i] = k;
      pos.set(nodeIds[i], { x: l * (W + GX), y: k * (H + GY) });
    });
  }
  const width = Math.max(1, layers.length) * (W + GX);
  const height = Math.max(1, ...layers.map((l) => (l ?? []).length)) * (H + GY);
  return { pos, width, height };
}

/** A graph view bound to an <svg>. `update(id, state)` changes one node; drawing is batched per animation frame. */
export class GraphView {
  constructor(svg, onSelect) {
    this.svg = svg;
    this.onSelect = onSelect;
    this.view = { x: 0, y: 0, k: 1 };
    this.nodes = new Map(); // drawn id -> { g, rect, meta }
    this.memberOf = new Map(); // node id -> group id when collapsed
    this.states = new Map(); // node id -> state
    this.dirty = new Set();
    this.frame = 0;
    this.#panZoom();
  }

  /** Draws a description (collapsing parallel groups when asked); returns the number of drawn boxes. */
  draw(description, collapse) {
    this.description = description;
    this.collapse = collapse;
    this.svg.replaceChildren();
    this.nodes.clear();
    this.memberOf.clear();
    if (description === undefined) return 0;
    if (collapse)
      for (const g of description.groups ?? []) for (const id of g.nodes) this.memberOf.set(id, `group:${g.id}`);
    const drawnId = (id) => this.memberOf.get(id) ?? id;
    const ids = [];
    const seen = new Set();
    for (const node of description.nodes) {
      const d = drawnId(node.id);
      if (seen.has(d)) continue;
      seen.add(d);
      ids.push(d);
    }
    const edgeKeys = new Set();
    const edges = [];
    for (const e of description.edges) {
      const from = drawnId(e.from);
      const to = drawnId(e.to);
      const key = `${from}\u0000${to}`;
      if (from === to || edgeKeys.has(key)) continue;
      edgeKeys.add(key);
      edges.push({ from, to, kind: e.kind });
    }
    const { pos, width, height } = layout(ids, edges);
    this.size = { width, height };
    this.root = el('g', { id: 'viewport' });
    const paths = { dependency: '', fallback: '' };
    for (const e of edges) {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      const x1 = a.x + W;
      const y1 = a.y + H / 2;
      const x2 = b.x;
      const y2 = b.y + H / 2;
      const mx = (x1 + x2) / 2;
      const seg =
        x2 > x1
          ? `M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2},${y2}`
          : `M${a.x + W / 2},${a.y + H}L${x2 + W / 2},${y2 - H / 2}`;
      paths[e.kind === 'fallback' || e.kind === 'boundary' ? 'fallback' : 'dependency'] += seg;
    }
    for (const [kind, d] of Object.entries(paths))
      if (d !== '') this.root.append(el('path', { class: `edge ${kind}`, d }));
    const frag = document.createDocumentFragment();
    for (const id of ids) {
      const p = pos.get(id);
      const group = id.startsWith('group:');
      const g = el('g', {
        class: group ? 'node group-node' : 'node',
        'data-id': id,
        'data-status': 'pending',
        transform: `translate(${p.x},${p.y})`,
      });
      const rect = el('rect', { width: W, height: H, rx: 5 });
      const title = el('title');
      title.textContent = id;
      const label = el('text', { x: 8, y: 15 });
      label.textContent = id.length > 22 ? `${id.slice(0, 21)}…` : id;
      const meta = el('text', { x: 8, y: 29, class: 'meta' });
      g.append(rect, title, label, meta);
      frag.append(g);
      this.nodes.set(id, { g, meta, title });
    }
    this.root.append(frag);
    this.svg.append(this.root);
    for (const id of this.states.keys()) this.dirty.add(drawnId(id));
    this.#render();
    this.fit();
    this.svg.dataset.nodes = String(ids.length);
    return ids.length;
  }

  /** Records a node's state; the box is redrawn on the next frame. */
  update(id, state) {
    this.states.set(id, state);
    this.dirty.add(this.memberOf.get(id) ?? id);
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.#render());
  }

  reset() {
    this.states.clear();
    this.dirty.clear();
  }

  #render() {
    this.frame = 0;
    for (const id of this.dirty) {
      const box = this.nodes.get(id);
      if (box === undefined) continue;
      const s = id.startsWith('group:') ? this.#groupState(id) : this.states.get(id);
      if (s === undefined) continue;
      box.g.dataset.status = s.status;
      if (s.fallbackUsed) box.g.dataset.fallback = s.fallbackUsed;
      else delete box.g.dataset.fallback;
      if (s.cacheHit) box.g.dataset.cached = 'true';
      else delete box.g.dataset.cached;
      const parts = [];
      if (s.summary) parts.push(s.summary);
      if (s.attempts > 1) parts.push(`×${s.attempts}`);
      if (s.durationMs !== undefined) parts.push(formatMs(s.durationMs));
      if (s.cacheHit) parts.push('cache');
      if (s.fallbackUsed) parts.push(`→ ${s.fallbackUsed}`);
      box.meta.textContent = parts.join(' · ');
      box.title.textContent = `${id}\n${s.status}${s.error ? `\n${s.error}` : ''}`;
    }
    this.dirty.clear();
  }

  #groupState(groupId) {
    const counts = {};
    let total = 0;
    for (const [id, gid] of this.memberOf) {
      if (gid !== groupId) continue;
      total++;
      const st = this.states.get(id)?.status ?? 'pending';
      counts[st] = (counts[st] ?? 0) + 1;
    }
    const order = ['failed', 'running', 'retrying', 'cancelled', 'pending', 'skipped', 'success'];
    const status = counts.failed
      ? 'failed'
      : counts.running || counts.retrying
        ? 'running'
        : (counts.success ?? 0) + (counts.skipped ?? 0) === total
          ? 'success'
          : (order.find((k) => counts[k]) ?? 'pending');
    return {
      status,
      attempts: 0,
      summary: `${counts.success ?? 0}/${total} ok${counts.failed ? `, ${counts.failed} failed` : ''}`,
    };
  }

  fit() {
    if (this.size === undefined) return;
    const r = this.svg.getBoundingClientRect();
    const k = Math.min(
      2,
      Math.max(0.02, Math.min(r.width / (this.size.width + 20), r.height / (this.size.height + 20))),
    );
    this.view = { x: 10, y: 10, k };
    this.#apply();
  }

  zoom(factor, cx, cy) {
    const r = this.svg.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const k = Math.min(8, Math.max(0.01, this.view.k * factor));
    this.view.x = px - ((px - this.view.x) * k) / this.view.k;
    this.view.y = py - ((py - this.view.y) * k) / this.view.k;
    this.view.k = k;
    this.#apply();
  }

  #apply() {
    this.root?.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`);
  }

  #panZoom() {
    let drag;
    this.svg.addEventListener('pointerdown', (e) => {
      drag = {
        x: e.clientX,
        y: e.clientY,
        vx: this.view.x,
        vy: this.view.y,
        moved: false,
        node: e.target.closest?.('g.node'),
      };
      this.svg.setPointerCapture(e.pointerId);
    });
    this.svg.addEventListener('pointermove', (e) => {
      if (drag === undefined) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      this.view.x = drag.vx + dx;
      this.view.y = drag.vy + dy;
      this.#apply();
    });
    this.svg.addEventListener('pointerup', () => {
      const d = drag;
      drag = undefined;
      if (d === undefined || d.moved) return;
      const g = d.node ?? undefined;
      for (const box of this.nodes.values()) box.g.classList.remove('selected');
      if (g) g.classList.add('selected');
      this.onSelect(g?.dataset.id);
    });
    this.svg.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = this.svg.getBoundingClientRect();
        this.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
  }
}

export function formatMs(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}
