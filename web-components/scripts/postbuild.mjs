// After `vite build`: inline the Lucide icons in use (icons.json) and pre-compress.
//
//   node scripts/postbuild.mjs dist            icons + .br/.gz for every js/css/svg/json
//   node scripts/postbuild.mjs dev --icons-only icons only (dev serves files uncompressed)
//
// Compressed twins are written only when smaller than the original; the server falls back
// to the plain file otherwise.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gunzipSync, gzipSync } from "node:zlib";

import { runScript } from "./py.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const staticRoot = resolve(here, "../../src/ironstar/static");
const COMPRESSIBLE = /\.(js|mjs|css|svg|json|map|txt|html)$/;

const [target = "dist", ...flags] = process.argv.slice(2);
if (target !== "dist" && target !== "dev") {
  console.error(`postbuild: unknown target ${target} (dist or dev)`);
  process.exit(2);
}
const outDir = join(staticRoot, target);

const iconsStatus = runScript("build_icons.py", ["--only", target]);
if (iconsStatus !== 0) process.exit(iconsStatus);

if (target === "dev") {
  // static/dev is not in the root .gitignore: keep its contents out of git from inside.
  writeFileSync(join(outDir, ".gitignore"), "*\n");
}

if (flags.includes("--icons-only") || target === "dev") process.exit(0);

/** Files a Vite manifest references (entries, chunks, CSS, assets), relative to outDir. */
function referenced(manifestPath) {
  if (!existsSync(manifestPath)) return [];
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  return Object.values(manifest).flatMap((chunk) => [
    chunk.file,
    ...(chunk.css ?? []),
    ...(chunk.assets ?? []),
  ]);
}

/** Delete build files that neither the current nor the previous manifest references. */
function prune(dir) {
  const keep = new Set([
    ...referenced(join(dir, ".vite/manifest.json")),
    ...referenced(join(dir, ".vite/manifest.previous.json")),
    "icons.json",
    ".gitignore",
  ]);
  let removed = 0;
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const rel = relative(dir, path).split("\\").join("/");
      if (entry.isDirectory()) {
        if (rel !== ".vite") walk(path);
        continue;
      }
      const base = rel.replace(/\.(br|gz)$/, "");
      if (!keep.has(base)) {
        rmSync(path);
        removed += 1;
      }
    }
  };
  walk(dir);
  return removed;
}

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== ".vite") yield* files(path); // the server never serves .vite/
    }
    else if (COMPRESSIBLE.test(entry.name)) yield path;
  }
}

if (!existsSync(outDir)) {
  console.error(`postbuild: ${outDir} does not exist; run vite build first`);
  process.exit(1);
}
const removed = prune(outDir);
let count = 0;
let reused = 0;
let before = 0;
let afterBr = 0;
for (const path of files(outDir)) {
  const data = readFileSync(path);
  // Files an earlier build already compressed (same content): skip the slow brotli.
  if (existsSync(`${path}.br`) && existsSync(`${path}.gz`)) {
    try {
      if (gunzipSync(readFileSync(`${path}.gz`)).equals(data)) {
        reused += 1;
        continue;
      }
    } catch {
      // unreadable twin: compress again
    }
  }
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
  const gz = gzipSync(data, { level: 9 });
  if (br.length < data.length) writeFileSync(`${path}.br`, br);
  if (gz.length < data.length) writeFileSync(`${path}.gz`, gz);
  count += 1;
  before += data.length;
  afterBr += Math.min(br.length, data.length);
}
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log(
  `postbuild: compressed ${count} files in ${relative(process.cwd(), outDir)} ` +
    `(${kb(before)} → ${kb(afterBr)} brotli), ${reused} unchanged, ${removed} stale removed`,
);
