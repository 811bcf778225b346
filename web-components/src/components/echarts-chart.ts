/**
 * <echarts-chart> — an Apache ECharts chart, loaded lazily.
 *
 *   <echarts-chart option='{"xAxis": {…}, "series": [{"type": "bar", "data": […]}]}'
 *                  data-on:select="$picked = evt.detail"></echarts-chart>
 *
 * Attributes
 *   option     JSON ECharts option. A change calls setOption (merged, so updates animate;
 *              add `not-merge` to replace everything).
 *   renderer   "canvas" (default) or "svg".
 *   label      accessible name: the element gets role="img" and aria-label, and ECharts'
 *              `aria` option is on with that label as its description (canvas: the
 *              generated description lands on the inner container).
 *
 * Follows the system colour scheme (dark theme in dark mode), resizes with its box
 * (ResizeObserver), dispatches `select` {name, value, seriesName} on click, and disposes
 * the instance when the element leaves the document (`window.__ironstarCharts`).
 */
import type { ECharts, EChartsOption } from "echarts";

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

export interface EChartsSelectDetail {
  name: string | undefined;
  value: unknown;
  seriesName: string | undefined;
}

const darkQuery = (): MediaQueryList | null => window.matchMedia?.("(prefers-color-scheme: dark)") ?? null;

export class EChartsChart extends ChartElement {
  static observedAttributes = ["option", "renderer", "not-merge", "label"];

  #container: HTMLDivElement | null = null;
  #chart: ECharts | null = null;
  #loading: Promise<void> | null = null;
  #generation = 0;
  #resize: ResizeObserver | null = null;
  #frame = 0;
  #option: string | null = null;
  #internals = internalsOf(this);

  /** The live ECharts instance (for tests and devtools). */
  get chart(): ECharts | null {
    return this.#chart;
  }

  protected attach(): void {
    if (this.#chart || this.#loading) return; // moved by a morph: keep the instance
    this.#container = chartShadow(this, CHART_CSS);
    this.#resize = new ResizeObserver(() => this.#scheduleResize());
    this.#resize.observe(this);
    darkQuery()?.addEventListener("change", this.#onScheme);
    void this.#init();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.connected) return;
    if (name === "label") {
      labelChart(this, old);
      this.#option = null; // re-apply: the aria description carries the label
      this.#apply();
    } else if (name === "renderer") {
      this.#dispose();
      void this.#init();
    } else this.#apply();
  }

  async #init(): Promise<void> {
    const generation = ++this.#generation;
    const container = this.#container;
    if (!container) return;
    const run = (async () => {
      try {
        const echarts = await import("echarts");
        if (generation !== this.#generation || !this.isConnected) return;
        const dark = darkQuery()?.matches ?? false;
        const chart = echarts.init(container, dark ? "dark" : undefined, {
          renderer: this.getAttribute("renderer") === "svg" ? "svg" : "canvas",
        });
        this.#chart = chart;
        chart.on("click", (params) => {
          emit<EChartsSelectDetail>(this, "select", {
            name: params.name,
            value: params.value,
            seriesName: params.seriesName,
          });
        });
        this.#option = null;
        this.#apply();
        setReady(this.#internals, true);
        emit(this, "render", {});
      } catch (error) {
        showError(container, "echarts-chart", error);
        setReady(this.#internals, true);
      }
    })();
    this.#loading = run;
    try {
      await run;
    } finally {
      if (this.#loading === run) this.#loading = null;
    }
  }

  #apply(): void {
    const chart = this.#chart;
    const raw = this.getAttribute("option") ?? "";
    if (!chart || raw === this.#option) return;
    this.#option = raw;
    try {
      const option = (jsonAttribute(this, "option") ?? {}) as EChartsOption;
      option.backgroundColor ??= "transparent";
      // ECharts' own accessibility: an aria-label describing the chart on its container.
      const label = this.getAttribute("label");
      option.aria ??= {
        enabled: true,
        ...(label ? { label: { description: label } } : {}),
      };
      if (prefersReduced()) option.animation = false;
      chart.setOption(option, { notMerge: this.hasAttribute("not-merge"), lazyUpdate: true });
    } catch (error) {
      console.error("<echarts-chart> option", error);
    }
  }

  #scheduleResize(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#chart?.resize();
    });
  }

  #onScheme = (): void => {
    if (!this.#chart) return;
    this.#dispose();
    void this.#init();
  };

  #dispose(): void {
    if (!this.#chart) return;
    this.#chart.dispose();
    this.#chart = null;
    this.#option = null;
    counters().disposed += 1;
  }

  protected teardown(): void {
    this.#generation += 1;
    this.#resize?.disconnect();
    this.#resize = null;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    darkQuery()?.removeEventListener("change", this.#onScheme);
    this.#dispose();
    setReady(this.#internals, false);
    this.#loading = null;
    this.#container?.replaceChildren();
  }
}

function prefersReduced(): boolean {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}
