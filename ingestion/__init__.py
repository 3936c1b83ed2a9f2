"""dlt + dbt ELT for an incident/analytics JSON:API: ingestion side."""
