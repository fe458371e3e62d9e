// Workload definitions shared by every system: the graph, how many runs, and the reference checksum.
// Node work is trivial and identical everywhere: value(i) = (1 + Σ value(parent)) mod 1e9+7.

export const MOD = 1_000_000_007;

/** Deterministic PRNG (mulberry32): the random DAGs are the same in every process and on every machine. */
function prng(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function withChildren(parents) {
  const n = parents.length;
  const children = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) for (const p of parents[i]) children[p].push(i);
  // Topological levels (depth from the sources): used by peers that compose in waves (Mastra).
  const level = new Int32Array(n);
  let depth = 0;
  for (let i = 0; i < n; i++) {
    let l = 0;
    for (const p of parents[i]) if (level[p] + 1 > l) l = level[p] + 1;
    level[i] = l;
    if (l + 1 > depth) depth = l + 1;
  }
  const levels = Array.from({ length: depth }, () => []);
  for (let i = 0; i < n; i++) levels[level[i]].push(i);
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  return { n, parents, children, levels, ids };
}

export function chain(n) {
  const parents = [[]];
  for (let i = 1; i < n; i++) parents.push([i - 1]);
  return withChildren(parents);
}

/** 1 → width parallel → 1 sum (width + 2 nodes). */
export function fanout(width) {
  const parents = [[]];
  for (let i = 1; i <= width; i++) parents.push([0]);
  parents.push(Array.from({ length: width }, (_, i) => i + 1));
  return withChildren(parents);
}

/** n nodes, each with up to 3 distinct random earlier parents. */
export function randomDag(n, seed) {
  const rand = prng(seed);
  const parents = [[]];
  for (let i = 1; i < n; i++) {
    const k = Math.floor(rand() * 4);
    const ps = new Set();
    for (let j = 0; j < k; j++) ps.add(Math.floor(rand() * i));
    parents.push([...ps].sort((a, b) => a - b));
  }
  return withChildren(parents);
}

/** Σ value(i) over the graph, mod MOD: what one run must produce. */
export function graphChecksum(g) {
  const v = new Float64Array(g.n);
  let sum = 0;
  for (let i = 0; i < g.n; i++) {
    let s = 1;
    for (const p of g.parents[i]) s += v[p];
    v[i] = s % MOD;
    sum = (sum + v[i]) % MOD;
  }
  return sum;
}

/**
 * The workloads. `size` is the primary count (nodes for single-run workloads, runs for multi-run ones); a peer that
 * cannot finish the full size within the timeout is measured again at size / 10, / 100.
 * kind: 'dag' = `runs` runs of the graph (concurrent when runs > 1); 'cache' = `runs` sequential runs of a one-node
 * workflow whose node is cached (every run after the first hits).
 */
export const WORKLOADS = [
  { id: 'W1', name: 'chain 1k', kind: 'dag', size: 1000, make: (s) => ({ graph: chain(s), runs: 1 }) },
  { id: 'W2', name: 'fan-out 1→10k→1', kind: 'dag', size: 10_000, make: (s) => ({ graph: fanout(s), runs: 1 }) },
  { id: 'W3', name: 'random DAG 10k', kind: 'dag', size: 10_000, make: (s) => ({ graph: randomDag(s, 42), runs: 1 }) },
  {
    id: 'W4',
    name: '100 concurrent runs × 100-node DAG',
    kind: 'dag',
    size: 100,
    make: (s) => ({ graph: randomDag(100, 7), runs: s }),
  },
  { id: 'W5a', name: 'chain 100k', kind: 'dag', size: 100_000, make: (s) => ({ graph: chain(s), runs: 1 }) },
  {
    id: 'W5b',
    name: 'random DAG 100k',
    kind: 'dag',
    size: 100_000,
    make: (s) => ({ graph: randomDag(s, 42), runs: 1 }),
  },
  {
    id: 'W6',
    name: '1000 concurrent runs × 100-node DAG',
    kind: 'dag',
    size: 1000,
    make: (s) => ({ graph: randomDag(100, 7), runs: s }),
  },
  {
    id: 'W7',
    name: 'retries: 1k-node DAG, each node fails once',
    kind: 'dag',
    retry: true,
    size: 1000,
    make: (s) => ({ graph: randomDag(s, 99), runs: 1 }),
  },
  {
    id: 'W8',
    name: 'cache: 10k sequential runs, cached node hit',
    kind: 'cache',
    size: 10_000,
    make: (s) => ({ graph: chain(1), runs: s }),
  },
];

export const VARIANTS = ['plain', 'async'];

/** Build the concrete workload for one (workload, variant, size). */
export function instantiate(id, variant, size) {
  const def = WORKLOADS.find((w) => w.id === id);
  if (def === undefined) throw new Error(`unknown workload ${id}`);
  const { graph, runs } = def.make(size ?? def.size);
  const one = graph.n === 1 ? 2 : graphChecksum(graph); // the cached node returns 1 + 1 (its input)
  return {
    id: def.id,
    name: def.name,
    kind: def.kind,
    retry: def.retry === true,
    async: variant === 'async',
    variant,
    size: size ?? def.size,
    graph,
    runs,
    totalNodes: graph.n * runs,
    checksum: (one * runs) % MOD,
  };
}

/**
 * The node function every system runs, on the parents' values in parent order. `failed` is the per-run "has this node
 * failed once already" array for retry workloads (systems that expose the attempt number use that instead).
 */
export function sumOf(values) {
  let s = 1;
  for (let k = 0; k < values.length; k++) s += values[k];
  return s % MOD;
}
