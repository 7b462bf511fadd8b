/**
 * The residual-stream panel's page script (dist/webview/causal.js): <cl-causal-view> from the
 * initial state or saved state, then the host's messages; exports go back as protocol messages.
 */
import type { CausalHostMessage, ShowCausalMessage } from '../../protocol';
import { applyChrome, mountView, wireChrome } from '../bootstrap';
import '../components/causal-view';
import { HostConnection } from '../host';
import { readInitialState } from '../initial-state';

interface CausalState {
  show?: ShowCausalMessage;
}

const api = acquireVsCodeApi<CausalState>();
const host = new HostConnection('causal', api);
const view = mountView(document, 'cl-causal-view');

function apply(m: CausalHostMessage): void {
  if (applyChrome(view, m)) return;
  switch (m.type) {
    case 'showCausal':
      view.run = m.run;
      view.figure = m.figure ?? '';
      if (view.notice?.kind === 'busy') view.notice = undefined;
      api.setState({ show: m });
      break;
  }
}

wireChrome(host, view);
// The tab survives the page being hidden and shown again.
view.addEventListener('cl-figure-change', (e) => {
  const show = api.getState()?.show;
  if (show) api.setState({ show: { ...show, figure: (e as CustomEvent<{ figure: ShowCausalMessage['figure'] }>).detail.figure } });
});
host.onMessage(apply);

const initial = readInitialState<ShowCausalMessage>(document) ?? api.getState()?.show;
if (initial) apply(initial);
host.ready();
