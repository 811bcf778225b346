/**
 * Entry `src/main.ts`: loaded on every page. Global CSS + the light web components.
 * Heavy, page-specific components live in their own entries (see analytics.ts).
 */
import "./styles/index.css";

import { watchConnection } from "./components/connection";
import { define } from "./components/define";
import { ReverseText } from "./components/reverse-text";
import { SortableList } from "./components/sortable-list";

define("sortable-list", SortableList);
define("reverse-text", ReverseText);
watchConnection();
