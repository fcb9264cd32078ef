// The Node-RED entry of @micro-mining/node-red-micro-mining: registers every node type.
import { registerAppliances } from './appliances.js';
import { registerControl } from './control.js';
import { registerDispatch } from './dispatch.js';
import { registerHubConfig } from './hub-config.js';
import { registerPolicy } from './policy.js';
import type { NodeAPI } from './red.js';
import { registerSchedule } from './schedule.js';
import { registerStats } from './stats.js';

export default function microMining(RED: NodeAPI): void {
  registerHubConfig(RED);
  registerAppliances(RED);
  registerPolicy(RED);
  registerSchedule(RED);
  registerDispatch(RED);
  registerStats(RED);
  registerControl(RED);
}
