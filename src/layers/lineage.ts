/** A data flow between two tables, declared beside the repository whose statements realise it. */
export interface LineageFlow {
  source: string;
  target: string;
  task: string;
  transformation: string;
}
