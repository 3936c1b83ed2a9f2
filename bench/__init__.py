"""`just bench`: the ELT measured against the floor a minimal client sets, at several scales.

A benchmark that only reports seconds cannot say whether they are good; every figure here
sits next to a reference measured in the same run on the same machine (a bare HTTP+DuckDB
client, a bare `dbt build`, the rate limit, the change batch size) and a target.
"""
