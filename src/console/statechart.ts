/**
 * A statechart drawn from a machine definition itself: its states and transitions are read from
 * the XState machine (`machine.root`), laid out by elkjs (the Eclipse Layout Kernel, layered
 * algorithm) and written as SVG, so the picture cannot drift from the code. elkjs's bundled build
 * runs in a worker thread (`elk-worker.cjs`): a first layout costs up to a second of CPU, which
 * the engine's main thread must not spend. Each machine's layout is kept, so only the first view
 * of a machine waits for it.
 */
import { Worker } from 'node:worker_threads';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine } from 'xstate';
import { escapeHtml } from './html.js';

interface StateNodeLike {
  id: string;
  key: string;
  type: string;
  initial?: { target: readonly StateNodeLike[] } | undefined;
  states: Record<string, StateNodeLike>;
  transitions: Map<string, readonly { target?: readonly StateNodeLike[] | undefined; eventType: string }[]>;
  always?: readonly { target?: readonly StateNodeLike[] | undefined }[] | undefined;
}

const CHAR = 7;
const LABEL_HEIGHT = 14;

/** `xstate.after.menuTtl.reminder.menu` → `after menuTtl`; `xstate.done.actor.0…` → `done`. */
export function eventLabel(type: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return `after ${after[1]}`;
  if (type.startsWith('xstate.done.actor')) return 'done';
  if (type.startsWith('xstate.error.actor')) return 'error';
  return type;
}

interface Graph {
  root: ElkNode;
  finals: Set<string>;
  initials: Set<string>;
}

function toGraph(machine: AnyStateMachine): Graph {
  const finals = new Set<string>();
  const initials = new Set<string>();
  const edges: ElkExtendedEdge[] = [];
  const seen = new Set<string>();
  const nodeOf = (state: StateNodeLike): ElkNode => {
    if (state.type === 'final') finals.add(state.id);
    for (const target of state.initial?.target ?? []) initials.add(target.id);
    const children = Object.values(state.states).map(nodeOf);
    const add = (eventType: string, targets: readonly StateNodeLike[] | undefined) => {
      for (const target of targets ?? []) {
        const label = eventLabel(eventType);
        const key = `${state.id}->${target.id}:${label}`;
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push({
          id: `e${edges.length}`,
          sources: [state.id],
          targets: [target.id],
          labels: [{ text: label, width: label.length * CHAR + 6, height: LABEL_HEIGHT }],
        });
      }
    };
    for (const [eventType, definitions] of state.transitions) {
      for (const definition of definitions) add(eventType, definition.target);
    }
    for (const definition of state.always ?? []) add('always', definition.target);
    return {
      id: state.id,
      labels: [{ text: state.key }],
      ...(children.length > 0
        ? {
            children,
            layoutOptions: { 'elk.padding': '[top=30,left=14,bottom=14,right=14]' },
          }
        : { width: Math.max(90, state.key.length * CHAR + 24), height: 34 }),
    };
  };
  const top = machine.root as unknown as StateNodeLike;
  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '28',
      'elk.edgeLabels.inline': 'false',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [nodeOf(top)],
    edges,
  };
  return { root, finals, initials };
}

interface Laid {
  svgBody: (active: ReadonlySet<string>) => string;
  width: number;
  height: number;
}

const cache = new Map<string, Promise<Laid>>();
interface WorkerAnswer {
  id: number;
  result?: ElkNode;
  error?: string;
}

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (node: ElkNode) => void; reject: (error: Error) => void }>();

/** Ends the layout worker (the console's server closing); a later layout starts a new one. */
export async function stopLayoutWorker(): Promise<void> {
  const running = worker;
  worker = undefined;
  if (running) await running.terminate();
}

/** Started on the first layout, unref'd, and ended by `stopLayoutWorker` when the server closes. */
function layoutInWorker(graph: ElkNode): Promise<ElkNode> {
  if (!worker) {
    const started = new Worker(new URL('./elk-worker.cjs', import.meta.url));
    started.unref();
    started.on('message', (answer: WorkerAnswer) => {
      const pending = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (answer.result) pending?.resolve(answer.result);
      else pending?.reject(new Error(`statechart layout failed: ${answer.error ?? 'no result'}`));
    });
    const fail = (error: Error) => {
      if (worker === started) worker = undefined;
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`statechart layout worker exited (${code})`)));
    worker = started;
  }
  const id = nextId++;
  const running = worker;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    running.postMessage({ id, graph });
  });
}

async function layout(machine: AnyStateMachine): Promise<Laid> {
  const graph = toGraph(machine);
  const laid = await layoutInWorker(graph.root);
  const origin = new Map<string, { x: number; y: number }>();
  const boxes: { node: ElkNode; x: number; y: number; compound: boolean }[] = [];
  const visit = (node: ElkNode, dx: number, dy: number) => {
    const x = dx + (node.x ?? 0);
    const y = dy + (node.y ?? 0);
    origin.set(node.id, { x, y });
    if (node.id !== '__root') boxes.push({ node, x, y, compound: (node.children?.length ?? 0) > 0 });
    for (const child of node.children ?? []) visit(child, x, y);
  };
  visit(laid, 0, 0);
  const edges = (laid.edges ?? []) as (ElkExtendedEdge & { container?: string })[];
  const edgeMarkup = edges
    .map((edge) => {
      const base = origin.get(edge.container ?? '__root') ?? { x: 0, y: 0 };
      const paths = (edge.sections ?? []).map((section) => {
        const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
        return `<path class="transition" d="${points.map((p, i) => `${i === 0 ? 'M' : 'L'}${(base.x + p.x).toFixed(1)},${(base.y + p.y).toFixed(1)}`).join(' ')}" marker-end="url(#arrow)"/>`;
      });
      const labels = (edge.labels ?? []).map(
        (label) =>
          `<text class="event" x="${(base.x + (label.x ?? 0)).toFixed(1)}" y="${(base.y + (label.y ?? 0) + 11).toFixed(1)}">${escapeHtml(label.text ?? '')}</text>`,
      );
      return paths.join('') + labels.join('');
    })
    .join('');
  return {
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    svgBody(active) {
      const nodes = boxes
        .map(({ node, x, y, compound }) => {
          const classes = [
            'state',
            compound ? 'compound' : '',
            graph.finals.has(node.id) ? 'final' : '',
            graph.initials.has(node.id) ? 'initial' : '',
            active.has(node.id) ? 'active' : '',
          ]
            .filter(Boolean)
            .join(' ');
          const label = escapeHtml(node.labels?.[0]?.text ?? node.id);
          const w = (node.width ?? 0).toFixed(1);
          const h = (node.height ?? 0).toFixed(1);
          const textY = compound ? y + 19 : y + (node.height ?? 0) / 2 + 4;
          const textX = compound ? x + 10 : x + (node.width ?? 0) / 2;
          return `<g class="${classes}" data-state="${escapeHtml(node.id)}"${active.has(node.id) ? ' aria-current="true"' : ''}><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w}" height="${h}" rx="8"/><text x="${textX.toFixed(1)}" y="${textY.toFixed(1)}"${compound ? '' : ' text-anchor="middle"'}>${label}</text></g>`;
        })
        .join('');
      return nodes + edgeMarkup;
    },
  };
}

/** The machine's ids of the states a dotted state value (`menu.waiting`) is in, ancestors included. */
export function activeStates(machineId: string, state: string | null): Set<string> {
  const active = new Set<string>();
  for (const path of (state ?? '').split(', ').filter(Boolean)) {
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) active.add(`${machineId}.${parts.slice(0, i).join('.')}`);
  }
  return active;
}

/** SVG of `machine` with the states of `state` highlighted; `title` names it for screen readers. */
export async function statechartSvg(
  machine: AnyStateMachine,
  state: string | null,
  title: string,
): Promise<string> {
  const key = machine.id;
  let laid = cache.get(key);
  if (!laid) {
    laid = layout(machine);
    cache.set(key, laid);
    laid.catch(() => cache.delete(key));
  }
  const { width, height, svgBody } = await laid;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="statechart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title id="chart-title">${escapeHtml(title)}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>${svgBody(activeStates(machine.id, state))}</svg>`;
}
