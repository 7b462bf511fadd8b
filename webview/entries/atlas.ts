/**
 * The sweep atlas's page script (dist/webview/atlas.js): <cl-atlas-view> from the initial state or
 * saved state, then the host's messages; a followed number goes back as `openManifest`.
 */
import type { AtlasHostMessage, ShowAtlasMessage } from '../../protocol';
import { applyChrome, mountView, wireChrome } from '../bootstrap';
import '../components/atlas-view';
import { HostConnection } from '../host';
import { readInitialState } from '../initial-state';

interface AtlasState {
  show?: ShowAtlasMessage;
}

const api = acquireVsCodeApi<AtlasState>();
const host = new HostConnection('atlas', api);
const view = mountView(document, 'cl-atlas-view');

function apply(m: AtlasHostMessage): void {
  if (applyChrome(view, m)) return;
  switch (m.type) {
    case 'showAtlas':
      view.atlas = m.atlas;
      view.mosaics = m.mosaics;
      view.source = m.source;
      if (view.notice?.kind === 'busy') view.notice = undefined;
      api.setState({ show: m });
      break;
  }
}

wireChrome(host, view);
view.addEventListener('cl-open-manifest', (e) => host.post({ type: 'openManifest', task: (e as CustomEvent<{ task: string }>).detail.task }));
host.onMessage(apply);

const initial = readInitialState<ShowAtlasMessage>(document) ?? api.getState()?.show;
if (initial) apply(initial);
host.ready();
