/**
 * <sortable-list> — drag-and-drop reordering with SortableJS.
 *
 *   <sortable-list handle=".drag-handle" data-on:reorder="@post('/api/todos/reorder')">
 *     <li data-id="a">…</li> <li data-id="b">…</li>
 *   </sortable-list>
 *
 * On drop it dispatches a bubbling `reorder` CustomEvent with
 * `{id, from, to, ids}` (ids = the children's `data-id` in their new order). The server is
 * the source of truth: it stores the new order and its next patch re-renders the list.
 * Alt+ArrowUp / Alt+ArrowDown on a focused item asks for the same move from the keyboard
 * (without touching the DOM; the server's patch moves it).
 *
 * Attributes: `handle` (selector of the drag handle inside an item), `container`
 * (selector of the list inside this element to sort, default: this element), `disabled`.
 * Sortable is bound to the container itself, so Datastar morphing the items is fine; it is
 * destroyed when the element leaves the document.
 */
import Sortable from "sortablejs";

import { emit, prefersReducedMotion } from "./define";

export interface ReorderDetail {
  id: string | null;
  from: number;
  to: number;
  ids: string[];
}

export class SortableList extends HTMLElement {
  static observedAttributes = ["disabled", "handle", "container"];

  #sortable: Sortable | null = null;
  #list: HTMLElement | null = null;

  connectedCallback(): void {
    this.#bind();
  }

  disconnectedCallback(): void {
    this.#unbind();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.isConnected) return;
    if (name === "disabled") this.#sortable?.option("disabled", value !== null);
    else {
      this.#unbind();
      this.#bind();
    }
  }

  /** The children's `data-id` values, in DOM order. */
  get ids(): string[] {
    return this.#items().map((item) => item.dataset.id ?? "");
  }

  #bind(): void {
    if (this.#sortable) return;
    const selector = this.getAttribute("container");
    const list = (selector ? this.querySelector<HTMLElement>(selector) : null) ?? this;
    this.#list = list;
    this.#sortable = Sortable.create(list, {
      animation: prefersReducedMotion() ? 0 : 150,
      handle: this.getAttribute("handle") ?? undefined,
      disabled: this.hasAttribute("disabled"),
      ghostClass: "sortable-ghost",
      chosenClass: "sortable-chosen",
      dragClass: "sortable-drag",
      // Inputs inside items (the todo edit box, checkboxes) keep working.
      filter: "input, textarea, select, [contenteditable]",
      preventOnFilter: false,
      onEnd: (evt) => {
        const from = evt.oldDraggableIndex ?? evt.oldIndex ?? -1;
        const to = evt.newDraggableIndex ?? evt.newIndex ?? -1;
        if (from === to || from < 0 || to < 0) return;
        const item = evt.item as HTMLElement;
        this.#emit({ id: item.dataset.id ?? null, from, to, ids: this.ids });
      },
    });
    list.addEventListener("keydown", this.#onKeydown);
  }

  #unbind(): void {
    this.#list?.removeEventListener("keydown", this.#onKeydown);
    this.#sortable?.destroy();
    this.#sortable = null;
    this.#list = null;
  }

  #items(): HTMLElement[] {
    const list = this.#list ?? this;
    return Array.from(list.children).filter(
      (child): child is HTMLElement =>
        child instanceof HTMLElement && !child.classList.contains("sortable-ghost"),
    );
  }

  #onKeydown = (event: KeyboardEvent): void => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    if (this.hasAttribute("disabled")) return;
    const items = this.#items();
    const item = items.find((candidate) => candidate.contains(event.target as Node));
    if (!item) return;
    const from = items.indexOf(item);
    const to = event.key === "ArrowUp" ? from - 1 : from + 1;
    if (to < 0 || to >= items.length) return;
    event.preventDefault();
    const ids = items.map((el) => el.dataset.id ?? "");
    const [moved] = ids.splice(from, 1);
    ids.splice(to, 0, moved ?? "");
    this.#emit({ id: item.dataset.id ?? null, from, to, ids });
  };

  #emit(detail: ReorderDetail): void {
    emit(this, "reorder", detail);
  }
}
