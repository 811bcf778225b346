/**
 * Mirror the connection state onto `<html data-connection="online|offline">` so CSS can
 * colour the indicator (<html> is never morphed, so the attribute survives patches).
 *
 * Two sources: Datastar's `datastar-fetch` events on the document (`detail.type` =
 * started | finished | error | retrying | retries-failed), and the text of the layout's
 * `.connection` element, which the page fills with "online"/"offline" through Datastar
 * (needed because the first stream may start before this module runs).
 */
const OFFLINE = new Set(["error", "retrying", "retries-failed"]);

export function watchConnection(root: HTMLElement = document.documentElement): void {
  const set = (state: string): void => {
    if (root.dataset.connection !== state) root.dataset.connection = state;
  };
  document.addEventListener("datastar-fetch", (event) => {
    const type = (event as CustomEvent<{ type?: string }>).detail?.type;
    if (type) set(OFFLINE.has(type) ? "offline" : "online");
  });
  const sync = (el: Element): void => {
    const text = el.textContent?.trim().toLowerCase();
    if (text === "online" || text === "offline") set(text);
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const el = record.target instanceof Element ? record.target : record.target.parentElement;
      const indicator = el?.closest(".connection");
      if (indicator) sync(indicator);
    }
  });
  const attach = (): void => {
    for (const el of document.querySelectorAll(".connection")) {
      sync(el);
      observer.observe(el, { childList: true, characterData: true, subtree: true });
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attach, { once: true });
  } else attach();
}
