/**
 * Reads an image's width and height from its header bytes, without decoding
 * it, so an image too large to decode is refused before any pixel memory is
 * allocated. Formats: PNG, JPEG, GIF, WebP, BMP, AVIF. Width and height are
 * as displayed: a JPEG's EXIF orientation or an AVIF's `irot` that turns the
 * image a quarter swaps them, as createImageBitmap does.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'avif';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, at: number, s: string): boolean => {
  if (at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};

function reader(b: Uint8Array) {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const inside = (at: number, n: number): boolean => at >= 0 && at + n <= b.length;
  return {
    u16be: (at: number) => (inside(at, 2) ? view.getUint16(at, false) : undefined),
    u16le: (at: number) => (inside(at, 2) ? view.getUint16(at, true) : undefined),
    u24le: (at: number) => (inside(at, 3) ? b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) : undefined),
    u32be: (at: number) => (inside(at, 4) ? view.getUint32(at, false) : undefined),
    i32le: (at: number) => (inside(at, 4) ? view.getInt32(at, true) : undefined),
    view,
  };
}

const sized = (format: ImageFormat, width: number | undefined, height: number | undefined, swap = false): ImageHeader | undefined =>
  width === undefined || height === undefined ? undefined : swap ? { format, width: height, height: width } : { format, width, height };

/** EXIF orientations 5–8 turn the image a quarter. `at` is where the TIFF header starts. */
function exifTurnsQuarter(b: Uint8Array, at: number, end: number): boolean {
  if (end > b.length || at + 8 > end) return false;
  const little = ascii(b, at, 'II');
  if (!little && !ascii(b, at, 'MM')) return false;
  const view = new DataView(b.buffer, b.byteOffset, end);
  const u16 = (p: number) => (p + 2 <= end ? view.getUint16(p, little) : undefined);
  const u32 = (p: number) => (p + 4 <= end ? view.getUint32(p, little) : undefined);
  const ifd = u32(at + 4);
  if (ifd === undefined) return false;
  const count = u16(at + ifd) ?? 0;
  for (let i = 0; i < count; i++) {
    const entry = at + ifd + 2 + i * 12;
    if (u16(entry) === 0x0112) return (u16(entry + 8) ?? 1) >= 5;
  }
  return false;
}

function jpeg(b: Uint8Array): ImageHeader | undefined {
  const r = reader(b);
  let quarter = false;
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return undefined;
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd9) || marker === 0x01) {
      p += 2; // no length
      continue;
    }
    const length = r.u16be(p + 2);
    if (length === undefined || length < 2) return undefined;
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized('jpeg', r.u16be(p + 7), r.u16be(p + 5), quarter);
    }
    if (marker === 0xe1 && ascii(b, p + 4, 'Exif\0\0')) quarter = exifTurnsQuarter(b, p + 10, p + 2 + length);
    p += 2 + length;
  }
  return undefined;
}

function webp(b: Uint8Array): ImageHeader | undefined {
  const r = reader(b);
  if (ascii(b, 12, 'VP8 ')) {
    const w = r.u16le(26);
    const h = r.u16le(28);
    return w === undefined || h === undefined ? undefined : sized('webp', w & 0x3fff, h & 0x3fff);
  }
  if (ascii(b, 12, 'VP8L')) {
    if (b.length < 25 || b[20] !== 0x2f) return undefined;
    const bits = r.view.getUint32(21, true);
    return sized('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, 12, 'VP8X')) {
    const w = r.u24le(24);
    const h = r.u24le(27);
    return w === undefined || h === undefined ? undefined : sized('webp', w + 1, h + 1);
  }
  return undefined;
}

/** The `ispe` (spatial extent) property of the primary item's boxes; `irot` 1 or 3 turns it a quarter. */
function avif(b: Uint8Array): ImageHeader | undefined {
  const r = reader(b);
  let width: number | undefined;
  let height: number | undefined;
  let quarter = false;
  for (let p = 4; p + 4 <= b.length; p++) {
    if (width === undefined && ascii(b, p, 'ispe')) {
      width = r.u32be(p + 8);
      height = r.u32be(p + 12);
    } else if (ascii(b, p, 'irot') && p + 4 < b.length) {
      quarter = (b[p + 4]! & 1) === 1;
    } else if (ascii(b, p, 'mdat')) break;
  }
  return sized('avif', width, height, quarter);
}

/** The displayed size from the header, or undefined when the bytes are no image format read here. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const r = reader(bytes);
  if (ascii(bytes, 0, '\x89PNG\r\n\x1a\n') && ascii(bytes, 12, 'IHDR')) return sized('png', r.u32be(16), r.u32be(20));
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg(bytes);
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return sized('gif', r.u16le(6), r.u16le(8));
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return webp(bytes);
  if (ascii(bytes, 0, 'BM')) {
    const w = r.i32le(18);
    const h = r.i32le(22);
    return w === undefined || h === undefined ? undefined : sized('bmp', Math.abs(w), Math.abs(h));
  }
  if (ascii(bytes, 4, 'ftyp') && (ascii(bytes, 8, 'avif') || ascii(bytes, 8, 'avis') || ascii(bytes, 8, 'mif1'))) return avif(bytes);
  return undefined;
}
