/** Register a custom element once (a second bundle or a hot rebuild must not throw). */
export function define(name: string, ctor: CustomElementConstructor): void {
  if (!customElements.get(name)) customElements.define(name, ctor);
}

/** Dispatch a bubbling, composed CustomEvent that Datastar's `data-on:<type>` can catch. */
export function emit<T>(target: EventTarget, type: string, detail: T): boolean {
  return target.dispatchEvent(
    new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

export const prefersReducedMotion = (): boolean =>
  window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

/** Parse a JSON attribute; `undefined` for a missing one, a thrown SyntaxError for bad JSON. */
export function jsonAttribute(el: Element, name: string): unknown {
  const raw = el.getAttribute(name);
  if (raw === null || raw.trim() === "") return undefined;
  return JSON.parse(raw);
}
