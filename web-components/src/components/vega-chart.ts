/**
 * <vega-chart> — a Vega / Vega-Lite chart through vega-embed, loaded lazily.
 *
 *   <vega-chart spec='{"$schema": "…vega-lite…", "data": {"name": "table"}, …}'
 *               data='[{"x": 1, "y": 2}]'
 *               data-on:select="$selected = evt.detail"></vega-chart>
 *
 * Attributes
 *   spec       JSON spec, or a URL returning one. Changing it re-embeds.
 *   data       JSON: an array (for the dataset named by `data-name`, default "table") or an
 *              object {datasetName: values[]}. Changing it updates the view in place.
 *   data-url   URL returning the same JSON as `data`; re-fetched when the attribute changes.
 *   data-name  dataset the array form goes to (default "table").
 *   renderer   "svg" (default) or "canvas".
 *   label      accessible name: the element gets role="img" and aria-label, and the spec
 *              a `description` (Vega puts it on the SVG root). The marks are hidden from
 *              the accessibility tree (`config.aria: false`): the label names the chart.
 *
 * Events: `select` {param, value} when a point/interval selection changes (Vega-Lite
 * `params` with `select`), `render` {} after an embed. Vega views are finalized when the
 * element leaves the document; `window.__ironstarCharts` counts them.
 */
import type { View } from "vega";
import type { Result, VisualizationSpec } from "vega-embed";

import {
  CHART_CSS,
  ChartElement,
  chartShadow,
  counters,
  internalsOf,
  labelChart,
  setReady,
  showError,
} from "./chart-counters";
import { emit, jsonAttribute } from "./define";

type Values = Record<string, unknown[]>;

export interface SelectDetail {
  param: string;
  value: unknown;
}

const darkQuery = (): MediaQueryList | null =>
  window.matchMedia?.("(prefers-color-scheme: dark)") ?? null;

const looksLikeJson = (raw: string): boolean => /^\s*[[{]/.test(raw);

async function fetchJson(url: string, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, { credentials: "same-origin", signal });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Names of Vega-Lite selection params anywhere in the spec (layers, concat, facets). */
export function selectionParams(spec: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(spec)) {
    for (const item of spec) selectionParams(item, found);
  } else if (spec && typeof spec === "object") {
    const node = spec as Record<string, unknown>;
    if (Array.isArray(node.params)) {
      for (const param of node.params) {
        const p = param as { name?: unknown; select?: unknown };
        if (typeof p.name === "string" && p.select !== undefined) found.add(p.name);
      }
    }
    for (const key of ["layer", "concat", "hconcat", "vconcat", "spec"]) {
      if (key in node) selectionParams(node[key], found);
    }
  }
  return found;
}

/**
 * Put the first data into the spec itself, so the first render already has it (no empty
 * scales, no "Infinite extent" warnings): Vega-Lite top-level `datasets`, or the `values`
 * of a named Vega data entry.
 */
function withInitialData(spec: VisualizationSpec, values: Values): void {
  const node = spec as Record<string, unknown>;
  if (Array.isArray(node.data)) {
    for (const entry of node.data as Array<Record<string, unknown>>) {
      const rows = typeof entry.name === "string" ? values[entry.name] : undefined;
      if (rows && !("values" in entry) && !("url" in entry) && !("source" in entry)) {
        entry.values = rows;
      }
    }
    return;
  }
  const datasets = (node.datasets ?? {}) as Values;
  node.datasets = { ...values, ...datasets };
}

export class VegaChart extends ChartElement {
  static observedAttributes = ["spec", "data", "data-url", "data-name", "renderer", "label"];

  #container: HTMLDivElement | null = null;
  #result: Result | null = null;
  #embedding: Promise<void> | null = null;
  #generation = 0;
  #spec: string | null = null;
  #dataKey: string | null = null;
  #abort: AbortController | null = null;
  #dataAbort: AbortController | null = null;
  #internals = internalsOf(this);

  /** The live Vega view (for tests and devtools). */
  get view(): View | null {
    return this.#result?.view ?? null;
  }

  protected attach(): void {
    // Moved within the document (a morph): the view is still alive, keep it.
    if (this.#result || this.#embedding) return;
    this.#container = chartShadow(this, CHART_CSS);
    darkQuery()?.addEventListener("change", this.#onScheme);
    void this.#embed();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.connected) return;
    if (name === "label") labelChart(this, old);
    else if (name === "spec" || name === "renderer") void this.#embed();
    else void this.#updateData();
  }

  async #embed(): Promise<void> {
    const raw = this.getAttribute("spec") ?? "";
    const renderer = this.getAttribute("renderer") ?? "svg";
    const key = `${renderer}\n${raw}`;
    if (key === this.#spec && (this.#result || this.#embedding)) return;
    this.#spec = key;
    const generation = ++this.#generation;
    const container = this.#container;
    if (!container || !raw.trim()) return;
    const run = (async () => {
      try {
        this.#abort?.abort();
        this.#abort = new AbortController();
        const spec = (
          looksLikeJson(raw) ? JSON.parse(raw) : await fetchJson(raw, this.#abort.signal)
        ) as VisualizationSpec;
        const [{ default: embed }, initial] = await Promise.all([
          import("vega-embed"),
          this.#readData(this.#abort.signal).catch(() => undefined),
        ]);
        if (initial) withInitialData(spec, initial);
        const label = this.getAttribute("label");
        const node = spec as { description?: string };
        if (label && !node.description) node.description = label;
        if (generation !== this.#generation || !this.isConnected) return;
        this.#finalize();
        const dark = darkQuery()?.matches ?? false;
        const result = await embed(container, spec, {
          actions: false,
          renderer: renderer === "canvas" ? "canvas" : "svg",
          // Follow the system colour scheme; the card behind the chart gives the colour.
          theme: dark ? "dark" : undefined,
          // Marks and guides are aria-hidden: the chart is one image named by its label
          // (SVG output only; a Vega-Lite config key, ignored by plain Vega specs).
          config: { background: "transparent", aria: false, mark: { aria: false } },
          mode: "$schema" in spec && String(spec.$schema).includes("vega-lite") ? "vega-lite" : undefined,
        });
        if (generation !== this.#generation || !this.isConnected) {
          result.finalize();
          counters().finalized += 1;
          return;
        }
        this.#result = result;
        this.#dataKey = initial ? this.#currentDataKey() : null;
        for (const param of selectionParams(spec)) this.#listen(result.view, param);
        await this.#updateData();
        setReady(this.#internals, true);
        emit(this, "render", {});
      } catch (error) {
        if ((error as Error).name !== "AbortError") {
          showError(container, "vega-chart", error);
          setReady(this.#internals, true);
        }
      }
    })();
    this.#embedding = run;
    try {
      await run;
    } finally {
      if (this.#embedding === run) this.#embedding = null;
    }
  }

  #listen(view: View, param: string): void {
    try {
      view.addSignalListener(param, (_name: string, value: unknown) => {
        emit<SelectDetail>(this, "select", { param, value });
      });
    } catch {
      // Not a top-level signal in this spec (e.g. a param inside a facet); skip it.
    }
  }

  #currentDataKey(): string {
    const name = this.getAttribute("data-name") ?? "table";
    return `${name}\n${this.getAttribute("data-url") ?? ""}\n${this.getAttribute("data") ?? ""}`;
  }

  /** The `data` / `data-url` payload as {dataset: rows}, or undefined when there is none. */
  async #readData(signal: AbortSignal): Promise<Values | undefined> {
    const url = this.getAttribute("data-url");
    const name = this.getAttribute("data-name") ?? "table";
    const payload: unknown = url ? await fetchJson(url, signal) : jsonAttribute(this, "data");
    if (payload === undefined || payload === null) return undefined;
    return Array.isArray(payload) ? { [name]: payload } : (payload as Values);
  }

  /** Push `data` / `data-url` into the running view, without re-embedding. */
  async #updateData(): Promise<void> {
    const view = this.#result?.view;
    if (!view) return;
    const key = this.#currentDataKey();
    if (key === this.#dataKey) return;
    this.#dataKey = key;
    try {
      this.#dataAbort?.abort();
      this.#dataAbort = new AbortController();
      const values = await this.#readData(this.#dataAbort.signal);
      if (!values || this.#result?.view !== view) return;
      for (const [dataset, rows] of Object.entries(values)) {
        if (Array.isArray(rows)) view.data(dataset, rows);
      }
      await view.runAsync();
    } catch (error) {
      if ((error as Error).name !== "AbortError") console.error("<vega-chart> data", error);
    }
  }

  #onScheme = (): void => {
    this.#spec = null; // force a re-embed with the other theme
    void this.#embed();
  };

  #finalize(): void {
    if (!this.#result) return;
    this.#result.finalize();
    this.#result = null;
    counters().finalized += 1;
  }

  protected teardown(): void {
    darkQuery()?.removeEventListener("change", this.#onScheme);
    this.#generation += 1;
    this.#abort?.abort();
    this.#abort = null;
    this.#dataAbort?.abort();
    this.#dataAbort = null;
    this.#finalize();
    setReady(this.#internals, false);
    this.#spec = null;
    this.#dataKey = null;
    this.#embedding = null;
    this.#container?.replaceChildren();
  }
}
