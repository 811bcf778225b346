// Run a repository script with the project's Python: ../.venv/bin/python if present,
// else $PYTHON, else python3. The scripts are stdlib-only, so any Python >= 3.11 works.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function python() {
  const venv = resolve(repo, ".venv/bin/python");
  return process.env.PYTHON || (existsSync(venv) ? venv : "python3");
}

export function runScript(script, args = []) {
  const result = spawnSync(python(), [resolve(repo, "scripts", script), ...args], {
    stdio: "inherit",
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [script, ...args] = process.argv.slice(2);
  if (!script) {
    console.error("usage: node scripts/py.mjs <script.py> [args...]");
    process.exit(2);
  }
  process.exit(runScript(script, args));
}
