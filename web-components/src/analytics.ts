/**
 * Entry `src/analytics.ts`: only the analytics dashboard loads it. The chart libraries
 * (vega, vega-lite, vega-embed, echarts) are imported lazily inside the components, so they
 * become separate chunks fetched when a chart first connects.
 */
import { counters } from "./components/chart-counters";
import { define } from "./components/define";
import { EChartsChart } from "./components/echarts-chart";
import { VegaChart } from "./components/vega-chart";

counters();
define("vega-chart", VegaChart);
define("echarts-chart", EChartsChart);
