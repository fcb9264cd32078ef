/** The embedded Node-RED runtime, the hub API its nodes use, and the default flow. */
export { HUB_SETTING, MQTT_TOPICS, type ControlCommand, type HubApi, type HubChange, type HubSnapshot, type HubStats, type ManualInput } from './hub-api.js';
export { InProcessHub, type InProcessHubOptions, type MinerControl, type PoolLike } from './in-process-hub.js';
export { FlowRuntime, checkRuntimeOptions, ensureFlowFile, exposureNote, DEFAULT_FLOW_FILE, type FlowRuntimeOptions } from './runtime.js';
export { MqttHubBridge, parseControl, keyMatches, MIN_BRIDGE_KEY, type MqttHubBridgeOptions, type MqttHubBridgeStats } from './mqtt-bridge.js';
export { editorLogin, editorAccessOptions, allowedHosts, hostAllowed, hostName, refusal, withoutCors, LOGIN_FILE, type EditorLogin } from './editor-access.js';
