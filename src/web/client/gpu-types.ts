// The few parts of WebGPU the scan kernel uses, typed here: the project's TypeScript libs (ES2022,
// @types/node, and lib.dom for the page) declare no WebGPU. Structural, so both the browser's
// navigator.gpu and the `webgpu` npm package (Dawn for Node) fit.

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuCompilationMessage {
  readonly message: string;
  readonly type: 'error' | 'warning' | 'info';
  readonly lineNum: number;
}

export interface GpuShaderModule {
  getCompilationInfo?(): Promise<{ readonly messages: readonly GpuCompilationMessage[] }>;
}

export interface GpuBindGroupLayout {
  readonly __brand?: 'GPUBindGroupLayout';
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuBindGroup {
  readonly __brand?: 'GPUBindGroup';
}

export interface GpuComputePass {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, g: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandBuffer {
  readonly __brand?: 'GPUCommandBuffer';
}

export interface GpuCommandEncoder {
  beginComputePass(d?: object): GpuComputePass;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): GpuCommandBuffer;
}

export interface GpuQueue {
  submit(buffers: GpuCommandBuffer[]): void;
  writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer): void;
  onSubmittedWorkDone(): Promise<void>;
}

export interface GpuDeviceLostInfo {
  readonly reason: string;
  readonly message: string;
}

export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly lost: Promise<GpuDeviceLostInfo>;
  readonly limits: { readonly maxComputeWorkgroupsPerDimension: number };
  createBuffer(d: { size: number; usage: number; label?: string }): GpuBuffer;
  createShaderModule(d: { code: string; label?: string }): GpuShaderModule;
  createComputePipelineAsync(d: { layout: 'auto'; compute: { module: GpuShaderModule; entryPoint: string }; label?: string }): Promise<GpuComputePipeline>;
  createBindGroup(d: { layout: GpuBindGroupLayout; entries: { binding: number; resource: { buffer: GpuBuffer } }[] }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope?(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope?(): Promise<{ readonly message: string } | null>;
  destroy(): void;
}

export interface GpuAdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

export interface GpuAdapter {
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  requestDevice(d?: object): Promise<GpuDevice>;
}

/** navigator.gpu, or the `webgpu` package's `create([])` */
export interface GpuEntry {
  requestAdapter(o?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapter | null>;
}

/** GPUBufferUsage and GPUMapMode values (the spec's numbers; no globals needed) */
export const BUFFER_USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
export const MAP_READ = 1;
