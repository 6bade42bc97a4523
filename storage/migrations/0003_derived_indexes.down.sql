-- Drop the derived tables.
DROP TABLE workspace_counters;
DROP TABLE search_tokens;
