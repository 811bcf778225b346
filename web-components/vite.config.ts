/**
 * Ironstar front-end build (Vite 8, Rolldown inside).
 *
 * - `vite build`                          → ../src/ironstar/static/dist (hashed, minified)
 * - `vite build --watch --mode development` → ../src/ironstar/static/dev (plain names, sourcemaps)
 *
 * Both write Vite's backend manifest (`.vite/manifest.json`) with the same keys:
 * `src/main.ts`, `src/analytics.ts`, `vendor/datastar.js`, `src/favicon.svg`.
 * The Python side resolves those keys with `static_url()`.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import OpenProps from "open-props";
import postcssJitProps from "postcss-jit-props";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const staticRoot = resolve(here, "../src/ironstar/static");

/**
 * Files shipped byte-for-byte (not bundled, not minified) under a hashed name and listed in
 * the manifest under their source path: the Datastar runtime (fetched by
 * scripts/fetch_datastar.py, already an optimised ES module) and the favicon.
 */
const VERBATIM = ["vendor/datastar.js", "src/favicon.svg"] as const;

function verbatimEntries(files: readonly string[]): Plugin {
  return {
    name: "ironstar:verbatim-entries",
    buildStart() {
      for (const key of files) {
        const path = resolve(here, key);
        this.addWatchFile(path);
        let source: string;
        try {
          source = readFileSync(path, "utf8");
        } catch {
          const hint = key.startsWith("vendor/") ? " (run: python3 ../scripts/fetch_datastar.py)" : "";
          this.error(`${key} is missing${hint}`);
        }
        if (key.endsWith(".js")) {
          // The bundle points at a source map it does not ship; drop the dangling comment.
          source = source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
        }
        this.emitFile({ type: "asset", name: basename(key), originalFileName: key, source });
      }
    },
  };
}

/**
 * In watch mode (`npm run dev`), re-run scripts/build_icons.py for static/dev when a Python
 * file under src/ironstar changes, so a new `icon("name")` shows up without rebuilding the
 * bundle. The server reads icons.json when it (re)starts.
 */
function iconsWatcher(): Plugin {
  let watching = false;
  let started = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const repo = resolve(here, "..");
  const python = (): string => {
    const venv = resolve(repo, ".venv/bin/python");
    return process.env.PYTHON || (existsSync(venv) ? venv : "python3");
  };
  const run = (): void => {
    const child = spawn(python(), [resolve(repo, "scripts/build_icons.py"), "--only", "dev", "-q"], {
      stdio: "inherit",
    });
    child.on("error", (error) => console.error(`build_icons: ${error.message}`));
  };
  return {
    name: "ironstar:icons-watcher",
    apply: "build",
    configResolved(config) {
      watching = Boolean(config.build.watch);
    },
    buildStart() {
      if (!watching || started) return;
      started = true;
      const sources = resolve(repo, "src/ironstar");
      watch(sources, { recursive: true }, (_event, file) => {
        if (!file || !String(file).endsWith(".py")) return;
        clearTimeout(timer);
        timer = setTimeout(run, 150);
      }).unref();
    },
  };
}

/**
 * Prod builds do not empty dist/: a running server (or a page still open in a browser)
 * keeps finding the files of the previous build. Before writing, the old manifest is kept
 * as `.vite/manifest.previous.json`; scripts/postbuild.mjs then deletes every file that
 * neither manifest references.
 */
function keepPreviousManifest(outDir: string): Plugin {
  return {
    name: "ironstar:keep-previous-manifest",
    apply: "build",
    buildStart() {
      const manifest = resolve(outDir, ".vite/manifest.json");
      if (!existsSync(manifest)) return;
      mkdirSync(resolve(outDir, ".vite"), { recursive: true });
      copyFileSync(manifest, resolve(outDir, ".vite/manifest.previous.json"));
    },
  };
}

export default defineConfig(({ mode }) => {
  const dev = mode === "development";
  const outDir = resolve(staticRoot, dev ? "dev" : "dist");
  return {
    root: here,
    base: "/static/",
    publicDir: false,
    logLevel: "info",
    clearScreen: false,
    css: {
      postcss: {
        // Only the Open Props tokens the CSS actually uses end up in the bundle.
        plugins: [postcssJitProps(OpenProps)],
      },
      devSourcemap: dev,
    },
    plugins: [verbatimEntries(VERBATIM), iconsWatcher(), ...(dev ? [] : [keepPreviousManifest(outDir)])],
    build: {
      outDir,
      // Never empty: dev keeps unhashed names (overwriting is enough, icons.json survives);
      // prod keeps the previous build for running servers, then postbuild prunes older files.
      emptyOutDir: false,
      manifest: true,
      minify: !dev,
      cssMinify: !dev,
      sourcemap: dev,
      target: "es2022",
      cssTarget: ["chrome123", "edge123", "firefox120", "safari17.5"],
      assetsInlineLimit: 0,
      reportCompressedSize: !dev,
      chunkSizeWarningLimit: 2048,
      modulePreload: false,
      rollupOptions: {
        input: {
          main: resolve(here, "src/main.ts"),
          analytics: resolve(here, "src/analytics.ts"),
        },
        output: dev
          ? {
              entryFileNames: "[name].js",
              chunkFileNames: "chunks/[name].js",
              assetFileNames: "assets/[name][extname]",
            }
          : {
              entryFileNames: "assets/[name]-[hash].js",
              chunkFileNames: "assets/[name]-[hash].js",
              assetFileNames: "assets/[name]-[hash][extname]",
            },
      },
    },
  };
});
