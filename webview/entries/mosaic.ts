/**
 * The mosaic panel's page script (dist/webview/mosaic.js). Renders <cl-mosaic-view> from the
 * page's initial state or the saved webview state, then follows the host's messages; cell actions,
 * tab changes and exports go back as protocol messages.
 */
import type { AttentionKind } from '../../analysis/types';
import type { MosaicHostMessage, ShowMosaicMessage } from '../../protocol';
import { applyChrome, mountView, wireChrome } from '../bootstrap';
import '../components/mosaic-view';
import type { HeadActionDetail } from '../components/types';
import { HostConnection } from '../host';
import { readInitialState } from '../initial-state';

interface MosaicState {
  show?: ShowMosaicMessage;
  kind?: AttentionKind;
}

const api = acquireVsCodeApi<MosaicState>();
const host = new HostConnection('mosaic', api);
const view = mountView(document, 'cl-mosaic-view');
let state: MosaicState = api.getState() ?? {};

function apply(m: MosaicHostMessage): void {
  if (applyChrome(view, m)) return;
  switch (m.type) {
    case 'showMosaic':
      view.result = m.result;
      view.kind = m.kind ?? (state.show?.result.manifest.createdAt === m.result.manifest.createdAt ? state.kind : undefined) ?? view.kind;
      view.ablationSet = m.ablationSet ?? [];
      view.heading = m.title ?? '';
      if (view.notice?.kind === 'busy') view.notice = undefined;
      state = { show: m, kind: view.kind };
      api.setState(state);
      break;
    case 'setAblationSet':
      view.ablationSet = m.heads;
      if (state.show) {
        state = { ...state, show: { ...state.show, ablationSet: m.heads } };
        api.setState(state);
      }
      break;
  }
}

wireChrome(host, view);
view.addEventListener('cl-head-action', (e) => {
  const { action, head } = (e as CustomEvent<HeadActionDetail>).detail;
  host.post({ type: action, head });
});
view.addEventListener('cl-kind-change', (e) => {
  const kind = (e as CustomEvent<{ kind: AttentionKind }>).detail.kind;
  state = { ...state, kind };
  api.setState(state);
  host.post({ type: 'kindChanged', kind });
});
host.onMessage(apply);

const initial = readInitialState<ShowMosaicMessage>(document) ?? state.show;
if (initial) apply({ ...initial, kind: initial.kind ?? state.kind });
host.ready();
