/**
 * <cl-provenance>: a collapsible "Provenance" block with a result's manifest (model and hash,
 * command, seeds, versions, parameters), so every figure says how to reproduce it.
 *
 * Properties: manifest (Manifest), model (ModelSummary, optional), extra ([label, value][]).
 */
import { LitElement, css, html } from 'lit';
import { objectProps } from './properties';
import type { Manifest, ModelSummary } from '../../analysis/types';
import { baseStyles } from './styles';
import { format, STRINGS } from '../strings';

export class ClProvenance extends LitElement {
  static override properties = {
    ...objectProps('manifest', 'model', 'extra'),
  };
  static override styles = [
    baseStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 2px 16px;
        margin: 8px 0 0;
      }
      dt {
        color: var(--cl-muted, #616161);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  declare manifest: Manifest | undefined;
  declare model: ModelSummary | undefined;
  declare extra: [string, string][];

  constructor() {
    super();
    this.manifest = undefined;
    this.model = undefined;
    this.extra = [];
  }

  override render() {
    const m = this.manifest;
    if (!m) return null;
    const kv = (o: Record<string, unknown>) =>
      Object.entries(o)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ') || '–';
    const S = STRINGS.provenance;
    const rows: [string, string][] = [
      [S.model, this.model ? format(S.modelShape, m.model.name, this.model.encoderLayers, this.model.decoderLayers, this.model.heads) : m.model.name],
      [S.modelHash, m.model.hash],
      [S.command, m.command],
      [S.seeds, kv(m.seeds)],
      [S.parameters, kv(m.parameters)],
      [S.executionProvider, m.executionProvider],
      [S.versions, format(S.versionsValue, m.toolVersion, m.versions.onnxruntime, m.versions.node, m.versions.builder)],
      [S.created, m.createdAt],
      ...this.extra,
    ];
    return html`<details>
      <summary>${S.summary}</summary>
      <dl>${rows.map(([k, v]) => html`<dt>${k}</dt><dd class=${k === S.modelHash ? 'mono' : ''}>${v}</dd>`)}</dl>
    </details>`;
  }
}

if (!customElements.get('cl-provenance')) customElements.define('cl-provenance', ClProvenance);

declare global {
  interface HTMLElementTagNameMap {
    'cl-provenance': ClProvenance;
  }
}
