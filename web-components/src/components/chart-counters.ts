/**
 * Leak counters shared by the chart components, for browser tests:
 * `window.__ironstarCharts = {live, finalized, disposed}`.
 *
 * live      +1 on connect, -1 on disconnect (elements in the document now)
 * finalized  Vega views finalized (view.finalize())
 * disposed   ECharts instances disposed (chart.dispose())
 */
export interface ChartCounters {
  live: number;
  finalized: number;
  disposed: number;
}

declare global {
  interface Window {
    __ironstarCharts?: ChartCounters;
  }
}

export function counters(): ChartCounters {
  window.__ironstarCharts ??= { live: 0, finalized: 0, disposed: 0 };
  return window.__ironstarCharts;
}

/** Shadow DOM for a chart: Datastar morphs light DOM children, never a shadow root. */
export function chartShadow(host: HTMLElement, css: string): HTMLDivElement {
  const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
  const container = document.createElement("div");
  container.part.add("chart");
  container.className = "chart";
  // A constructed stylesheet is not an inline <style>, so a strict style-src CSP allows it.
  const sheet = sheetFor(css);
  if (sheet) {
    root.adoptedStyleSheets = [sheet];
    root.replaceChildren(container);
  } else {
    const style = document.createElement("style");
    style.textContent = css;
    root.replaceChildren(style, container);
  }
  return container;
}

const sheets = new Map<string, CSSStyleSheet>();

function sheetFor(css: string): CSSStyleSheet | null {
  if (!("adoptedStyleSheets" in Document.prototype) || !("replaceSync" in CSSStyleSheet.prototype)) {
    return null;
  }
  let sheet = sheets.get(css);
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    sheets.set(css, sheet);
  }
  return sheet;
}

export const CHART_CSS = `
:host { display: block; position: relative; min-block-size: var(--chart-min-height, 18rem); }
:host([hidden]) { display: none; }
.chart { inline-size: 100%; block-size: 100%; min-block-size: inherit; }
.error { color: var(--error-text, #b42318); font: 0.875rem/1.4 system-ui, sans-serif; }
`;

/** Show a readable error inside the chart area and log the cause. */
export function showError(container: HTMLElement, tag: string, error: unknown): void {
  console.error(`<${tag}>`, error);
  const message = document.createElement("p");
  message.className = "error";
  message.setAttribute("role", "alert");
  message.textContent = `Chart error: ${error instanceof Error ? error.message : String(error)}`;
  container.replaceChildren(message);
}

/** Toggle the `:state(ready)` custom state (ignored where CustomStateSet is missing). */
export function setReady(internals: ElementInternals | null, ready: boolean): void {
  const states = internals?.states;
  if (!states) return;
  try {
    if (ready) states.add("ready");
    else states.delete("ready");
  } catch {
    // Older engines only accepted "--ready"; the CSS then just keeps its placeholder.
  }
}

export function internalsOf(host: HTMLElement): ElementInternals | null {
  try {
    return host.attachInternals();
  } catch {
    return null;
  }
}

/**
 * A chart is one image to assistive technology: role="img" named by the `label` attribute
 * (an explicit `role` / `aria-label` set by the page wins, unless it came from `label`).
 */
export function labelChart(host: HTMLElement, previous: string | null = null): void {
  if (!host.hasAttribute("role")) host.setAttribute("role", "img");
  const label = host.getAttribute("label");
  const current = host.getAttribute("aria-label");
  if (label && (current === null || current === previous)) host.setAttribute("aria-label", label);
}

/**
 * The lifecycle both chart elements share: leak counters, the accessible label, and a
 * teardown deferred by a microtask, because a Datastar morph may move a chart (a
 * disconnect then an immediate reconnect) and the live chart must survive that.
 */
export abstract class ChartElement extends HTMLElement {
  protected connected = false;

  connectedCallback(): void {
    counters().live += 1;
    this.connected = true;
    labelChart(this);
    this.attach();
  }

  disconnectedCallback(): void {
    counters().live -= 1;
    this.connected = false;
    queueMicrotask(() => {
      if (!this.isConnected) this.teardown();
    });
  }

  /** Connected: build the chart unless one is alive already (a morph moved us). */
  protected abstract attach(): void;

  /** Really gone: release the chart library's view and every listener. */
  protected abstract teardown(): void;
}
