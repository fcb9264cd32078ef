// The AxeOS part's changes on the wire, one miner at a time (the part serializes them): pause,
// resume, frequency and voltage (each checked by the last guard before the wire, sendRefusal),
// and putting the user's own settings back (steer.ts restore()).
import type { Logger } from '../log.js';
import type { AxeosSettings } from './client.js';
import { sendRefusal, type Miner } from './miner.js';
import type { AxeosState } from './model.js';
import { restore, type SteerAction, type UserSettings } from './steer.js';
import type { AxeosEvents } from './types.js';

export interface ActionHost {
  log: Logger;
  now: () => number;
  setState: (m: Miner, state: AxeosState, detail: string | null) => void;
  remember: (m: Miner, user: UserSettings, why: string) => void;
  tell: <K extends keyof AxeosEvents>(event: K, e: AxeosEvents[K]) => void;
}

export class MinerActions {
  constructor(private readonly o: ActionHost) {}

  async putBack(m: Miner, why: string): Promise<void> {
    if (!m.user) return;
    const r = m.reading;
    const actions = restore({
      user: m.user,
      frequency: r?.frequency_mhz ?? null,
      coreVoltage: r?.core_voltage_mv ?? null,
      paused: r?.paused === true && m.pausedByHub,
      overheat: r?.overheat ?? false,
      powerFault: (r?.power_fault ?? null) !== null,
    });
    for (const a of actions) await this.act(m, { ...a, reason: `${a.reason} (${why})` } as SteerAction);
    m.lastSent = null;
  }

  async act(m: Miner, a: SteerAction): Promise<boolean> {
    if (a.action === 'pause' || a.action === 'resume') {
      const r = a.action === 'pause' ? await m.client.pause() : await m.client.resume();
      if (!r.ok) {
        if (r.state === 'not found') m.canPause = false;
        this.o.setState(m, r.state, `${a.action}: ${r.detail}`);
        return false;
      }
      m.lastChangeAt = this.o.now();
      m.lastAction = a.action;
      m.pausedByHub = a.action === 'pause';
      if (m.user) this.o.remember(m, m.user, a.action === 'pause' ? 'paused by the hub' : 'resumed by the hub');
      if (m.reading) m.reading = { ...m.reading, paused: a.action === 'pause' };
      this.o.tell('steered', { worker: m.worker, action: a.action, reason: a.reason });
      return true;
    }
    if (a.action !== 'set') return false;
    const s: AxeosSettings = {};
    if (a.frequency !== undefined) s.frequency = a.frequency;
    if (a.coreVoltage !== undefined) s.coreVoltage = a.coreVoltage;
    if (Object.keys(s).length === 0) return false;
    return this.send(m, s, a.reason);
  }

  /** The last guard before the wire: only listed values (or the user's own). */
  async send(m: Miner, s: AxeosSettings, reason: string): Promise<boolean> {
    const cur = m.reading;
    const user = m.user;
    if (!user) return false;
    const refused = sendRefusal(m, s, user);
    if (refused) {
      this.o.log.error(
        { worker: m.worker, [refused]: s[refused] },
        `refused to send a ${refused === 'frequency' ? 'frequency' : 'core voltage'} the device does not list`,
      );
      return false;
    }
    const r = await m.client.set(s);
    if (!r.ok) {
      this.o.setState(m, r.state, `setting ${Object.keys(s).join(' and ')}: ${r.detail}`);
      return false;
    }
    m.lastChangeAt = this.o.now();
    m.lastAction = `set ${Object.entries(s)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`;
    const next = { frequency: s.frequency ?? cur?.frequency_mhz ?? user.frequency, coreVoltage: s.coreVoltage ?? cur?.core_voltage_mv ?? user.coreVoltage };
    m.lastSent = next;
    if (m.reading) m.reading = { ...m.reading, frequency_mhz: next.frequency, core_voltage_mv: next.coreVoltage };
    this.o.log.info({ worker: m.worker, ...s, reason }, 'AxeOS settings changed');
    this.o.tell('steered', { worker: m.worker, action: 'set', ...s, reason });
    return true;
  }
}
