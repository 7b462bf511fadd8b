/**
 * Test page (bundled by the harness as the extra entry "components"): exposes the generic
 * components and the HostConnection on `window.__components` so tests can mount them in isolation.
 */
import { HostConnection } from '../../../webview/host';
import '../../../webview/components/index';
import { drawAttentionBars, renderAttentionStrip } from '../../../webview/render/attention-strip';
import { drawHeadSparklines, headSparklinesSize, renderHeadSparklines } from '../../../webview/render/head-sparklines';
import { forecastFan, renderSeriesChart, seriesLayout } from '../../../webview/render/series-chart';

(window as unknown as { __components: unknown }).__components = {
  HostConnection,
  forecastFan,
  renderSeriesChart,
  renderAttentionStrip,
  drawAttentionBars,
  renderHeadSparklines,
  drawHeadSparklines,
  headSparklinesSize,
  seriesLayout,
};
