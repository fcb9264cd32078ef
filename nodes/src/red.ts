// The few parts of the Node-RED runtime API these nodes use (Node-RED ships no TypeScript types).

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeContextStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  on(event: 'input', listener: (msg: NodeMessage, send: (msg: NodeMessage | (NodeMessage | null)[]) => void, done: (err?: Error) => void) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  status(status: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(msg: unknown): void;
  log(msg: unknown): void;
  context(): NodeContextStore;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, config: NodeDef): void;
    registerType(type: string, ctor: (this: Node, config: NodeDef) => void, opts?: object): void;
    getNode(id: string): unknown;
  };
  settings: Record<string, unknown>;
  events?: { on(ev: string, l: (...args: unknown[]) => void): void; removeListener(ev: string, l: (...args: unknown[]) => void): void };
}

/** A short text for a node's status (Node-RED shows about 30 characters well). */
export function short(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The error text of anything thrown. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A readable kind of a value for error messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
