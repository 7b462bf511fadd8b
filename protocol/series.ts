/**
 * The series view: a CSV column with its forecast; hovering a point asks the host for that
 * position's attention rows (the attention lens). The host sends only what the view shows.
 */
import type { ForecastResult, GroupLensResult, LensResult, ModelSummary, MosaicResult, PeriodicityResult } from '../analysis/types';
import type { CommonHostMessage, CommonWebviewMessage, MessagesOf, Request, RequestId } from './common';

/** The column as displayed (possibly downsampled; the host keeps the full data). */
export interface SeriesPayload {
  /** Display name of the document, e.g. "AirPassengers.csv". */
  file: string;
  column: string;
  /** Numeric columns the picker offers. */
  columns: string[];
  /** Data-row index (0-based, header excluded) of each displayed point, strictly increasing. */
  index: number[];
  /** Value at each displayed point; null where the cell is missing. Same length as `index`. */
  values: (number | null)[];
  /** ISO 8601 (or the CSV's own text) at each displayed point, when the CSV has a timestamp column. */
  timestamps?: string[];
  /** Data rows in the column (before downsampling). */
  totalRows: number;
  /**
   * The model's context window: data rows [start, end). Context position p is row start + p, or, for a
   * model whose positions are patches (Chronos-Bolt), patch p of `patches`.
   */
  context: { start: number; end: number; patches?: PatchLayout };
  /** What the reading did that the user should know (e.g. text cells of the column read as gaps). */
  warnings?: string[];
  /**
   * Chronos-2: the series forecast together with `column` (its fellow targets) and the covariates they
   * read, as the user chose them for this file; absent for the other families.
   */
  task?: SeriesTask;
}

/** A Chronos-2 task over a CSV's columns: the targets (the shown column among them) and the covariates. */
export interface SeriesTask {
  targets: string[];
  covariates: string[];
}

/**
 * How a Chronos-Bolt model cuts the context window into patches (its encoder positions): `count`
 * patches of `size` rows, patch p covering data rows first + p·stride .. first + p·stride + size - 1.
 * `first` may be before the window's start: the left padding of the first patch, which has no rows.
 */
export interface PatchLayout {
  size: number;
  stride: number;
  first: number;
  count: number;
}

/** Which attention the overlay shows: one head, or the max / mean over the heads of `layer`. */
export type HeadSelection =
  | { mode: 'head'; layer: number; head: number }
  | { mode: 'max'; layer: number }
  | { mode: 'mean'; layer: number };

// host -> webview

/** (Re)initialise the view: on open, on column change and after the document changed. */
export interface InitSeriesMessage {
  type: 'initSeries';
  series: SeriesPayload;
  /**
   * The model the context window, forecast and attention come from; absent until it has loaded (or
   * when it cannot load: the host then also posts an `error`), so the series shows at once.
   */
  model?: ModelSummary;
  /** Said beside the model's name: what the model is when its forecasts are not a real one's (the bundled toy). */
  modelNote?: string;
  /** The forecast from the last context point; absent while it is being computed (see setForecast). */
  forecast?: ForecastResult;
  /** The latest mosaic for this model, for the selected head's induction scores. */
  mosaic?: MosaicResult;
  /** The context's periodicity: null when no period stands out, absent while it is being computed. */
  periodicity?: PeriodicityResult | null;
  selection?: HeadSelection;
}
export interface SetForecastMessage {
  type: 'setForecast';
  forecast: ForecastResult | null;
}
export interface SetMosaicMessage {
  type: 'setMosaic';
  mosaic: MosaicResult | null;
}
export interface SetPeriodicityMessage {
  type: 'setPeriodicity';
  periodicity: PeriodicityResult | null;
}
/** Select a head from outside (the mosaic's "Show this head on the series"). */
export interface SetSelectionMessage {
  type: 'setSelection';
  selection: HeadSelection;
}

/** Hover and pin a data row (e.g. the text editor hover's "Open in Series View"). */
export interface FocusRowMessage {
  type: 'focusRow';
  row: number;
}

export type SeriesHostMessage =
  | InitSeriesMessage
  | FocusRowMessage
  | SetForecastMessage
  | SetMosaicMessage
  | SetPeriodicityMessage
  | SetSelectionMessage
  | CommonHostMessage;

// webview -> host

/**
 * Hover: the attention rows of one query. `kind: 'encoder'` with a context position (0-based within
 * the context window), `kind: 'cross'` with a forecast step (0-based). Answered with a LensResult;
 * when `layer` is given the host may leave the other layers' `rows` / `top` entries empty.
 * Superseded requests should be cancelled (`cancel`).
 */
export interface RequestLensMessage {
  type: 'requestLens';
  requestId: RequestId;
  kind: 'encoder' | 'cross';
  position: number;
  layer?: number;
  /** Also send every head's row max-pooled to this many bins (`sparklines`), for the head grid. */
  sparkBins?: number;
  /** Chronos-2: also the group attention at the query's token, for `layer` (`group`). */
  group?: boolean;
  /** Chronos-2: with `group`, also each series' share on the others over the context (`group.lines`, for `layer`). */
  groupLines?: boolean;
}
export interface LensResponse extends LensResult {
  /**
   * [layer][head][bin]: each head's row max-pooled over `sparkBins` equal runs of context positions
   * (every layer, also when `layer` restricts `rows`), when the request asked for them.
   */
  sparklines?: number[][][];
  /** Chronos-2, when asked: the group attention at the query's token (matrices and lines of `layer` only). */
  group?: GroupLensResult;
}

/**
 * Zoom: the column's data rows [start, end) downsampled (LTTB) to about `points` points, from the
 * host's full data. Answered with a SeriesRange.
 */
export interface RequestRangeMessage {
  type: 'requestRange';
  requestId: RequestId;
  start: number;
  end: number;
  points: number;
}
export interface SeriesRange {
  start: number;
  end: number;
  /** Same meaning as SeriesPayload's fields, for the points of [start, end). */
  index: number[];
  values: (number | null)[];
  timestamps?: string[];
}

export interface SelectHeadMessage {
  type: 'selectHead';
  selection: HeadSelection;
}
export interface SelectColumnMessage {
  type: 'selectColumn';
  column: string;
}
/** Reveal a data row in the CSV's text editor (e.g. after clicking a highlighted position). */
export interface RevealRowMessage {
  type: 'revealRow';
  row: number;
}
/** Chronos-2: let the user choose the targets and covariates forecast with the shown column (the host asks). */
export interface ChooseTaskMessage {
  type: 'chooseTask';
}

/**
 * "Attribute this step" (a forecast step's action menu): the host opens the residual-stream panel with
 * the direct attribution of that step's median-token logit, on the column shown.
 */
export interface AttributeStepMessage {
  type: 'attributeStep';
  /** Forecast step, 0-based. */
  step: number;
}

/** The model note's link: run Select Model…. */
export interface SelectModelMessage {
  type: 'selectModel';
}

/** The series view's own webview -> host messages, requests with their results (see MessageTable). */
export interface SeriesWebviewMessages {
  requestLens: Request<RequestLensMessage, LensResponse>;
  requestRange: Request<RequestRangeMessage, SeriesRange>;
  selectHead: SelectHeadMessage;
  selectColumn: SelectColumnMessage;
  revealRow: RevealRowMessage;
  chooseTask: ChooseTaskMessage;
  attributeStep: AttributeStepMessage;
  selectModel: SelectModelMessage;
}
export type SeriesWebviewMessage = MessagesOf<SeriesWebviewMessages> | CommonWebviewMessage;
