// A loss curve as a small standalone SVG: training loss per step (light),
// its moving average, and validation loss per epoch (dots).

export interface Curve {
  name: string;
  points: [number, number][];
  color: string;
  dots?: boolean;
  width?: number;
}

export function lossCurveSvg(title: string, curves: Curve[], xLabel = 'step', yLabel = 'loss', zeroBased = true): string {
  const W = 640, H = 360, L = 72, R = 20, T = 36, B = 44;
  const all = curves.flatMap((c) => c.points).filter(([, y]) => Number.isFinite(y));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const lo = Math.min(...all.map(([, y]) => y)), hi = Math.max(...all.map(([, y]) => y));
  const yMin = zeroBased ? Math.min(0, lo) : lo - 0.05 * (hi - lo), yMax = hi + 0.05 * (hi - lo || 1);
  const sx = (x: number): number => L + (x / xMax) * (W - L - R);
  const sy = (y: number): number => T + (1 - (y - yMin) / (yMax - yMin || 1)) * (H - T - B);
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4;
    parts.push(`<text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end">${Math.abs(y) >= 100 ? y.toFixed(0) : y.toFixed(2)}</text><line x1="${L}" y1="${sy(y)}" x2="${W - R}" y2="${sy(y)}" stroke="#eee"/>`);
    const x = (xMax * i) / 4;
    parts.push(`<text x="${sx(x)}" y="${H - B + 16}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  curves.forEach((c, i) => {
    const pts = c.points.filter(([, y]) => Number.isFinite(y));
    if (c.dots) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${c.color}"/>`);
    else parts.push(`<polyline fill="none" stroke="${c.color}" stroke-width="${c.width ?? 1.5}" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<rect x="${W - R - 150}" y="${T + 6 + i * 16}" width="10" height="10" fill="${c.color}"/><text x="${W - R - 135}" y="${T + 15 + i * 16}">${esc(c.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
