/** A dataset of the lineage graph, placed in columns from the sources (left) to the deliveries (right). */
export interface PlacedDataset {
  name: string;
  /** The first part of its name: source, landing, bronze, silver, gold, lake, postgres. */
  layer: string;
  /** Longest chain of flows from a dataset nothing flows into. */
  column: number;
  /** Position within the column, from the top. */
  row: number;
}

/**
 * Places each dataset in the column of its longest path from a source, so that every
 * flow points rightwards and the same catalog draws the same picture every time (a force layout does not).
 */
export function layoutLineage(flows: readonly { source: string; target: string }[]): PlacedDataset[] {
  const names = [...new Set(flows.flatMap((flow) => [flow.source, flow.target]))].sort();
  const column = new Map(names.map((name) => [name, 0]));
  // Longest-path relaxation; a cycle (never derived from the graph, but the catalog is data) stops after |V| rounds.
  for (let round = 0; round < names.length; round++) {
    let moved = false;
    for (const flow of flows) {
      const next = column.get(flow.source)! + 1;
      if (flow.source !== flow.target && next > column.get(flow.target)!) {
        column.set(flow.target, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  // Column by column, each dataset goes near the datasets it is made from (the mean of their rows, then its
  // name), so that the flows of one table run side by side instead of crossing the others'.
  const row = new Map<string, number>();
  const columns = Math.max(0, ...column.values()) + 1;
  for (let at = 0; at < columns; at++) {
    const sourceRow = (name: string) => {
      const sources = flows.filter((flow) => flow.target === name && row.has(flow.source)).map((flow) => row.get(flow.source)!);
      return sources.length === 0 ? 0 : sources.reduce((sum, value) => sum + value, 0) / sources.length;
    };
    const members = names.filter((name) => column.get(name) === at).map((name) => ({ name, near: sourceRow(name) }));
    members.sort((a, b) => a.near - b.near || (a.name < b.name ? -1 : 1));
    members.forEach((member, index) => row.set(member.name, index));
  }
  return names.map((name) => ({ name, layer: name.split('.')[0]!, column: column.get(name)!, row: row.get(name)! }));
}
