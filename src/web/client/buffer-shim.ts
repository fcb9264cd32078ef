// The two uses of Node's Buffer in src/core/hex.ts (hex to bytes, bytes to hex), for the browser
// bundle (scripts/build-web.mjs injects this as the global `Buffer`).
class HexBytes extends Uint8Array {
  override toString(encoding?: string): string {
    if (encoding !== 'hex') return super.toString();
    let s = '';
    for (let i = 0; i < this.length; i++) s += this[i].toString(16).padStart(2, '0');
    return s;
  }
}

export const Buffer = {
  from(a: string | ArrayBufferLike, b?: string | number, c?: number): HexBytes {
    if (typeof a === 'string') {
      if (b !== 'hex') throw new Error('only hex strings');
      const out = new HexBytes(a.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(a.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    return new HexBytes(a as ArrayBuffer, b as number, c);
  },
};
