/**
 * A data flow between two datasets, as catalog.data_lineage stores it. The flows are derived from what
 * each task declares it reads and writes (src/pipeline/graph.ts), never listed by hand.
 */
export interface LineageFlow {
  source: string;
  target: string;
  task: string;
  transformation: string;
}
