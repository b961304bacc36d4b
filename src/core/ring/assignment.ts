/**
 * Maximum-weight perfect matching of rows to columns of a square matrix (the Hungarian
 * algorithm, O(k^3)). Returns, for each row, its column. Used to label the slots of a striped
 * layout with members so that as many partitions as possible keep their owner; exact, so the
 * labelling is the best one rather than a greedy approximation, and deterministic because the
 * scan order is fixed.
 */
export function maxWeightAssignment(weights: readonly (readonly number[])[]): number[] {
  const k = weights.length;
  for (const row of weights) {
    if (row.length !== k) throw new RangeError("assignment needs a square matrix");
  }
  // Shortest augmenting paths with potentials on cost = -weight; arrays are 1-based, index 0 is
  // the virtual start column.
  const rowPotential = new Float64Array(k + 1);
  const columnPotential = new Float64Array(k + 1);
  const rowOfColumn = new Int32Array(k + 1);
  const way = new Int32Array(k + 1);
  for (let row = 1; row <= k; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    const slack = new Float64Array(k + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(k + 1);
    do {
      used[column] = 1;
      const r = rowOfColumn[column] as number;
      let delta = Number.POSITIVE_INFINITY;
      let nextColumn = 0;
      for (let c = 1; c <= k; c++) {
        if (used[c]) continue;
        const cost = -((weights[r - 1] as readonly number[])[c - 1] as number);
        const reduced = cost - (rowPotential[r] as number) - (columnPotential[c] as number);
        if (reduced < (slack[c] as number)) {
          slack[c] = reduced;
          way[c] = column;
        }
        if ((slack[c] as number) < delta) {
          delta = slack[c] as number;
          nextColumn = c;
        }
      }
      for (let c = 0; c <= k; c++) {
        if (used[c]) {
          rowPotential[rowOfColumn[c] as number] = (rowPotential[rowOfColumn[c] as number] as number) + delta;
          columnPotential[c] = (columnPotential[c] as number) - delta;
        } else {
          slack[c] = (slack[c] as number) - delta;
        }
      }
      column = nextColumn;
    } while (rowOfColumn[column] !== 0);
    do {
      const previous = way[column] as number;
      rowOfColumn[column] = rowOfColumn[previous] as number;
      column = previous;
    } while (column !== 0);
  }
  const columnOfRow = new Array<number>(k).fill(-1);
  for (let c = 1; c <= k; c++) columnOfRow[(rowOfColumn[c] as number) - 1] = c - 1;
  return columnOfRow;
}
