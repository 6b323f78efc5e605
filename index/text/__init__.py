"""Rules about Chinese text that ingest and answering must apply alike, one module per rule set."""
