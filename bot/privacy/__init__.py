"""Personal data under the GDPR: redaction, the registry of collections holding personal data, export, erasure and
retention (issue 14)."""
