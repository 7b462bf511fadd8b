/**
 * The sweep atlas's page script (dist/webview/atlas.js): <cl-atlas-view> from the initial state or
 * saved state, then the host's messages; a followed number goes back as `openManifest`.
 */
import type { ShowAtlasMessage } from '../../protocol';
import { startResultPage } from '../bootstrap';
import '../components/atlas-view';

startResultPage({
  view: 'atlas',
  tag: 'cl-atlas-view',
  api: acquireVsCodeApi<{ show?: ShowAtlasMessage }>(),
  show: (view, m) => {
    view.atlas = m.atlas;
    view.mosaics = m.mosaics;
    view.source = m.source;
  },
  wire: (view, host) => view.addEventListener('cl-open-manifest', (e) => host.post({ type: 'openManifest', task: (e as CustomEvent<{ task: string }>).detail.task })),
});
