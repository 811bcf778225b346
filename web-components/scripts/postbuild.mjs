// After `vite build`: inline the Lucide icons in use (icons.json) and pre-compress.
//
//   node scripts/postbuild.mjs dist            icons + .br/.gz for every js/css/svg/json
//   node scripts/postbuild.mjs dev --icons-only icons only (dev serves files uncompressed)
//
// Compressed twins are written only when smaller than the original; the server falls back
// to the plain file otherwise.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

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

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.test(entry.name)) yield path;
  }
}

if (!existsSync(outDir)) {
  console.error(`postbuild: ${outDir} does not exist; run vite build first`);
  process.exit(1);
}
let count = 0;
let before = 0;
let afterBr = 0;
for (const path of files(outDir)) {
  const data = readFileSync(path);
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
    `(${kb(before)} → ${kb(afterBr)} brotli)`,
);
