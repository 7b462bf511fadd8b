/**
 * The ablation report's page script (dist/webview/ablation.js): <cl-ablation-report> from the
 * initial state or saved state, then the host's messages; reopening a stored run and exports go
 * back as protocol messages.
 */
import type { ShowAblationMessage } from '../../protocol';
import { startResultPage } from '../bootstrap';
import '../components/ablation-report';

startResultPage({
  view: 'ablation',
  tag: 'cl-ablation-report',
  api: acquireVsCodeApi<{ show?: ShowAblationMessage }>(),
  show: (view, m) => {
    view.result = m.result;
    view.runs = m.runs ?? [];
    view.runId = m.runId ?? '';
  },
  wire: (view, host) => view.addEventListener('cl-open-run', (e) => host.post({ type: 'openRun', runId: (e as CustomEvent<{ runId: string }>).detail.runId })),
});
