/** `tastebud embed`: item vectors for a catalog, computed once where the catalog lives, for `models.itemVectors`. */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { VECTOR_STORAGES, type ContentKind } from '../common/model-format/item-vectors';
import { setupBackend } from '../training/backend';
import { embedItems, type EmbedReport } from '../training/embed';
import { readItems } from '../training/items';
import { shippedModelDir } from '../training/model-dir';
import { oneOf, required } from './args';

export const EMBED_USAGE = `Usage: tastebud embed --items <file.jsonl> --out <dir> [options]
  --items <file.jsonl>  one JSON object a line: { "id", "text"?, "image"?, "imageFile"? }; "text" is the item text
                        exactly as the page passes it to upsertItems(), "image" the image URL or path the page
                        passes, "imageFile" the JPEG to read for it (default: "image" relative to the items file)
  --out <dir>           the vectors directory to write (manifest.json with sha256 of every file)
  --storage int8|f16    how rows are stored (default int8: per-row scale, a quarter of float32)
  --text-model <dir>    text encoder (default the shipped public/models/text)
  --image-model <dir>   image encoder (default the shipped public/models/image)
  --no-images           text vectors only
  --backend wasm|cpu    tfjs backend (default wasm)`;

function progressBar(): { update(kind: ContentKind, done: number, total: number): void; stop(): void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let current: ContentKind | null = null;
  let last = 0;
  return {
    update(kind, done, total) {
      if (!tty) {
        const now = Date.now();
        if (done === total || now - last > 5000) {
          process.stderr.write(`  ${kind}: ${done}/${total} items\n`);
          last = now;
        }
        return;
      }
      if (current !== kind) {
        bar?.stop();
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${kind.padEnd(5)} |{bar}| {value}/{total} items | ETA {eta_formatted}`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
        current = kind;
      }
      bar!.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

export async function embedCommand(argv: string[]): Promise<EmbedReport> {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string' },
      out: { type: 'string' },
      storage: { type: 'string' },
      'text-model': { type: 'string' },
      'image-model': { type: 'string' },
      'no-images': { type: 'boolean' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const itemsFile = required(values.items, 'items', EMBED_USAGE);
  const out = required(values.out, 'out', EMBED_USAGE);
  const storage = oneOf(values.storage, 'storage', VECTOR_STORAGES, 'int8');
  const items = [...readItems(itemsFile).values()];
  await setupBackend(values.backend ?? 'wasm');
  const started = Date.now();
  const bar = progressBar();
  let report: EmbedReport;
  try {
    report = await embedItems(items, {
      out,
      storage,
      textModel: values['text-model'] ?? shippedModelDir('text'),
      imageModel: values['no-images'] ? null : (values['image-model'] ?? shippedModelDir('image')),
      onProgress: (kind, done, total) => bar.update(kind, done, total),
    });
  } finally {
    bar.stop();
  }
  for (const e of report.encoders) {
    process.stderr.write(`${e.key}: ${e.vectors} of ${report.items} items`);
    process.stderr.write(
      e.failures.length > 0 ? `, ${e.failures.length} failed (first: ${e.failures[0]!.itemId}: ${e.failures[0]!.reason})\n` : '\n',
    );
  }
  process.stderr.write(
    `wrote ${out} (${storage}, ${report.manifest.files.reduce((s, f) => s + f.bytes, 0)} bytes) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  return report;
}
