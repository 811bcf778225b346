/**
 * <reverse-text> — client-only: shows its `text` attribute reversed, grapheme by grapheme
 * (so "👍🏽 héllo" keeps its emoji and accents intact).
 *
 *   <reverse-text data-attr:text="$input"
 *                 data-on:reversed="$reversed = evt.detail.value"></reverse-text>
 *
 * Renders with textContent (never HTML) and dispatches a bubbling `reversed`
 * CustomEvent `{value}` whenever the result changes. If a server patch morphs the element's
 * content away, it renders again.
 */
import { emit } from "./define";

const segmenter =
  typeof Intl !== "undefined" && "Segmenter" in Intl
    ? new Intl.Segmenter(undefined, { granularity: "grapheme" })
    : null;

export function reverseGraphemes(text: string): string {
  if (segmenter) {
    return Array.from(segmenter.segment(text), (part) => part.segment)
      .reverse()
      .join("");
  }
  return Array.from(text).reverse().join(""); // code points: still keeps surrogate pairs
}

export interface ReversedDetail {
  value: string;
}

export class ReverseText extends HTMLElement {
  static observedAttributes = ["text"];

  #value: string | null = null;
  #observer: MutationObserver | null = null;

  connectedCallback(): void {
    this.#render();
    this.#observer ??= new MutationObserver(() => {
      if (this.textContent !== this.#value) this.#render(true);
    });
    this.#observer.observe(this, { childList: true, characterData: true, subtree: true });
  }

  disconnectedCallback(): void {
    this.#observer?.disconnect();
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.#render();
  }

  /** The reversed text currently shown. */
  get value(): string {
    return this.#value ?? "";
  }

  #render(force = false): void {
    const value = reverseGraphemes(this.getAttribute("text") ?? "");
    if (this.textContent !== value) this.textContent = value;
    if (value === this.#value && !force) return;
    const changed = value !== this.#value;
    this.#value = value;
    if (changed) emit<ReversedDetail>(this, "reversed", { value });
  }
}
