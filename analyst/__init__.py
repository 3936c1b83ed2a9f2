"""Analyst-facing commands: query, shell, report and status on the built warehouse.

Everything here opens the warehouse read-only and never changes it, so an analyst can use
these commands on a production warehouse without risking the data an ELT run publishes.
"""
