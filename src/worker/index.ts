/** The `micro-mining worker` agent for other computers (docs/workers.md). */
export { WorkerAgent, type AgentState, type WorkerAgentOptions } from './agent.js';
export { WORKER_FIELDS, loadWorkerConfig, wantsHelp, workerEnvName, workerSettingsHelp, type WorkerConfig } from './config.js';
export { YieldCheck, machineName, onBattery, primaryMac, readPowerSupplies, type PowerSupply, type YieldRules } from './machine.js';
export { GpuDriver, gpuPower, openNodeGpu, type GpuScan, type NodeGpu, type WebgpuModule } from './gpu.js';
export { WorkerConsole, stateText, workerStatusLine, type ConsoleAgent, type ConsoleOut } from './console.js';
export { HubLink } from './hub-link.js';
