/** Event details and small types shared by the components. */
import type { HeadRef } from '../../analysis/types';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import type { MosaicCellAction } from '../../protocol/mosaic';

/** A banner over a view: an error with its cause, a busy line, or information. */
export interface Notice {
  kind: 'error' | 'busy' | 'info';
  message: string;
  detail?: string;
}

/** `cl-head-action` */
export interface HeadActionDetail {
  action: MosaicCellAction;
  head: HeadRef;
}

/** `cl-export`: a figure produced in the page, ready to be saved by the host. */
export interface ExportDetail {
  format: ExportFormat;
  suggestedName: string;
  content: ExportContent;
}
