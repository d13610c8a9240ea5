"""Output of findings and reports: text, JSON, SARIF, HTML."""
