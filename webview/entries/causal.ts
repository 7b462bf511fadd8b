/**
 * The residual-stream panel's page script (dist/webview/causal.js): <cl-causal-view> from the
 * initial state or saved state, then the host's messages; exports go back as protocol messages.
 */
import type { ShowCausalMessage } from '../../protocol';
import { startResultPage } from '../bootstrap';
import '../components/causal-view';

const api = acquireVsCodeApi<{ show?: ShowCausalMessage }>();
startResultPage({
  view: 'causal',
  tag: 'cl-causal-view',
  api,
  show: (view, m) => {
    view.run = m.run;
    view.figure = m.figure ?? '';
  },
  // The tab survives the page being hidden and shown again.
  wire: (view) =>
    view.addEventListener('cl-figure-change', (e) => {
      const show = api.getState()?.show;
      if (show) api.setState({ show: { ...show, figure: (e as CustomEvent<{ figure: ShowCausalMessage['figure'] }>).detail.figure } });
    }),
});
