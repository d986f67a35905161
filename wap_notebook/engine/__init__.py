"""The Write-Audit-Publish engine behind `wap_notebook.ingestion.Ingestion`, in parts with one job each.

See the module map in README.md. Nothing here imports the panel or the magic.
"""
