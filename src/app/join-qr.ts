/**
 * The QR code of the worker page's address for the status page's "join this hub" panel: a tablet
 * scans it and mines in its browser. An inline SVG made on the hub (qrcode-generator), so the page
 * loads nothing from elsewhere; only for an address other computers can reach.
 */
import qrcode from 'qrcode-generator';

/** An inline SVG QR code of `text` (at most 256 characters), or '' when it cannot be made. */
export function qrSvg(text: string, label: string): string {
  if (!text || text.length > 256) return '';
  try {
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    // the library writes no label of its own: the panel's figure says what it is
    return `<figure><figcaption>${label}</figcaption>${qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true })}</figure>`;
  } catch {
    return '';
  }
}
