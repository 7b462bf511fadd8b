/**
 * The series view's page script (dist/webview/series.js). Renders <cl-series-view> from the host's
 * messages (initSeries, then setForecast / setPeriodicity / setMosaic / setSelection as they come);
 * hovering asks the host for one point's attention (requestLens, superseded requests cancelled) and
 * zooming for the rows of a range (requestRange). Head, column and reveal actions go back as protocol
 * messages; the hover, pin and zoom are saved with setState for when the panel is shown again.
 */
import type { InitSeriesMessage, SeriesHostMessage } from '../../protocol';
import { applyChrome, mountView, wireChrome } from '../bootstrap';
import '../components/series-view';
import type { SeriesViewState } from '../components/series-view';
import { HostConnection } from '../host';
import { readInitialState } from '../initial-state';

interface SeriesPageState {
  /** file + column the view state belongs to */
  id?: string;
  view?: SeriesViewState;
}

const api = acquireVsCodeApi<SeriesPageState>();
const host = new HostConnection('series', api);
const view = mountView(document, 'cl-series-view');
let state: SeriesPageState = api.getState() ?? {};
let restored = false;

view.fetchLens = (req, signal) =>
  host.request<'requestLens'>({ type: 'requestLens', kind: req.kind, position: req.position, layer: req.layer, sparkBins: req.sparkBins, ...(req.group ? { group: true } : {}), ...(req.groupLines ? { groupLines: true } : {}) }, { signal });
view.fetchRange = (start, end, points, signal) => host.request<'requestRange'>({ type: 'requestRange', start, end, points }, { signal });

function init(m: InitSeriesMessage): void {
  const id = `${m.series.file}\u0000${m.series.column}`;
  view.model = m.model;
  view.modelNote = m.modelNote;
  view.forecast = m.forecast;
  view.mosaic = m.mosaic;
  view.periodicity = m.periodicity;
  if (m.selection) view.selection = m.selection;
  if (!restored && state.id === id && state.view) view.restoreState(state.view);
  restored = true;
  view.series = m.series;
  if (view.notice?.kind === 'busy' && m.model) view.notice = undefined;
  state = { ...state, id };
  api.setState(state);
}

function apply(m: SeriesHostMessage): void {
  if (applyChrome(view, m)) return;
  switch (m.type) {
    case 'initSeries':
      init(m);
      break;
    case 'setForecast':
      view.forecast = m.forecast ?? undefined;
      break;
    case 'setPeriodicity':
      view.periodicity = m.periodicity;
      break;
    case 'setMosaic':
      view.mosaic = m.mosaic ?? undefined;
      break;
    case 'setSelection':
      view.selection = m.selection;
      break;
    case 'focusRow':
      view.focusRow(m.row);
      break;
  }
}

wireChrome(host, view);
view.addEventListener('cl-select-head', (e) => host.post({ type: 'selectHead', selection: (e as CustomEvent<{ selection: InitSeriesMessage['selection'] & object }>).detail.selection }));
view.addEventListener('cl-select-column', (e) => host.post({ type: 'selectColumn', column: (e as CustomEvent<{ column: string }>).detail.column }));
view.addEventListener('cl-select-model', () => host.post({ type: 'selectModel' }));
view.addEventListener('cl-choose-task', () => host.post({ type: 'chooseTask' }));
view.addEventListener('cl-reveal-row', (e) => host.post({ type: 'revealRow', row: (e as CustomEvent<{ row: number }>).detail.row }));
view.addEventListener('cl-attribute-step', (e) => host.post({ type: 'attributeStep', step: (e as CustomEvent<{ step: number }>).detail.step }));
let saveTimer: ReturnType<typeof setTimeout> | undefined;
view.addEventListener('cl-view-state', (e) => {
  const detail = (e as CustomEvent<SeriesViewState>).detail;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    state = { ...state, view: detail };
    api.setState(state);
  }, 250);
});
host.onMessage(apply);

const initial = readInitialState<InitSeriesMessage>(document);
if (initial) apply(initial);
host.ready();
