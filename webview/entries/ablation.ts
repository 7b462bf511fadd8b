/**
 * The ablation report's page script (dist/webview/ablation.js): <cl-ablation-report> from the
 * initial state or saved state, then the host's messages; reopening a stored run and exports go
 * back as protocol messages.
 */
import type { AblationHostMessage, ShowAblationMessage } from '../../protocol';
import { applyChrome, mountView, wireChrome } from '../bootstrap';
import '../components/ablation-report';
import { HostConnection } from '../host';
import { readInitialState } from '../initial-state';

interface AblationState {
  show?: ShowAblationMessage;
}

const api = acquireVsCodeApi<AblationState>();
const host = new HostConnection('ablation', api);
const view = mountView(document, 'cl-ablation-report');

function apply(m: AblationHostMessage): void {
  if (applyChrome(view, m)) return;
  switch (m.type) {
    case 'showAblation':
      view.result = m.result;
      view.runs = m.runs ?? [];
      view.runId = m.runId ?? '';
      if (view.notice?.kind === 'busy') view.notice = undefined;
      api.setState({ show: m });
      break;
  }
}

wireChrome(host, view);
view.addEventListener('cl-open-run', (e) => host.post({ type: 'openRun', runId: (e as CustomEvent<{ runId: string }>).detail.runId }));
host.onMessage(apply);

const initial = readInitialState<ShowAblationMessage>(document) ?? api.getState()?.show;
if (initial) apply(initial);
host.ready();
