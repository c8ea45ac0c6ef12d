/** @jsxImportSource hono/jsx */

/** One stack of the chart: a named series with its colour. */
export interface ChartSeries {
  key: string;
  label: string;
  colour: string;
}

export interface ChartColumn {
  /** In each bar's tooltip, and under the first and last bar ("6 Dec"). */
  label: string;
  values: Record<string, number>;
}

// Drawing units: the SVG stretches to its box (app.css .chart svg), so only proportions matter here.
const WIDTH = 300;
const HEIGHT = 100;

/** The smallest of 1, 2, 5 × 10^n at or above `value`: the top line of the chart. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * A stacked bar chart drawn on the server as SVG, readable without script: each segment carries a
 * <title> with its day, count and series, `summary` describes the whole for screen readers, and
 * the words (scale, first and last day, legend) are HTML, so they keep their size at 390 px and at
 * 1280 px while the bars stretch to the width.
 */
export function StackedBarChart(props: { id: string; title: string; summary: string; series: ChartSeries[]; columns: ChartColumn[] }) {
  const { series, columns } = props;
  const totals = columns.map((column) => series.reduce((sum, item) => sum + (column.values[item.key] ?? 0), 0));
  const top = niceCeiling(Math.max(0, ...totals));
  const slot = WIDTH / Math.max(1, columns.length);
  const barWidth = slot * 0.7;
  const y = (value: number) => HEIGHT - (value / top) * HEIGHT;
  return (
    <figure class="chart" data-testid={props.id}>
      <p class="small muted chart-scale">Top line: {top} a day</p>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-labelledby={`${props.id}-title ${props.id}-desc`}>
        <title id={`${props.id}-title`}>{props.title}</title>
        <desc id={`${props.id}-desc`}>{props.summary}</desc>
        {[top, top / 2, 0].map((tick) => (
          <line x1="0" x2={WIDTH} y1={y(tick)} y2={y(tick)} stroke="#d0d7de" stroke-width="1" vector-effect="non-scaling-stroke" />
        ))}
        {columns.map((column, index) => {
          const x = index * slot + (slot - barWidth) / 2;
          let base = 0;
          return (
            <g data-testid="chart-day">
              {series.map((item) => {
                const value = column.values[item.key] ?? 0;
                if (value === 0) return null;
                const rect = (
                  <rect
                    x={x.toFixed(2)}
                    y={y(base + value).toFixed(2)}
                    width={barWidth.toFixed(2)}
                    height={(y(base) - y(base + value)).toFixed(2)}
                    fill={item.colour}
                  >
                    <title>{`${column.label}: ${value} ${item.label}`}</title>
                  </rect>
                );
                base += value;
                return rect;
              })}
            </g>
          );
        })}
      </svg>
      <div class="chart-axis small muted" aria-hidden="true">
        <span>{columns[0]?.label}</span>
        <span>{columns.at(-1)?.label}</span>
      </div>
      <figcaption class="legend">
        {series.map((item) => (
          <span class="legend-item">
            <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
              <rect width="12" height="12" rx="2" fill={item.colour} />
            </svg>{' '}
            {item.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
