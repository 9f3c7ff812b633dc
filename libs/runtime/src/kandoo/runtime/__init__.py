"""What every Kandoo service process needs around its domain: health and metrics over
HTTP, and reading Kafka topics to their end."""
